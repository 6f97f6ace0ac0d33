using System.Data.Common;
using System.Diagnostics;
using Timely.Server.Domain;
using Timely.Server.Observability;

namespace Timely.Server.Storage;

/// <summary>Transactions over the configured dialect, for every store of the service: database failures
/// become <see cref="StoreUnavailableException"/>, a write that lost a race on a unique key is run
/// again, and, in one place, a committed write wakes the live subscribers of what it changed, here
/// and on the other replicas. Also the one place of the store's telemetry: a span and a duration per
/// transaction (on PostgreSQL, Npgsql's command spans nest in it), and a span for the fan-out after a commit.</summary>
public sealed class Database(StoreDialect dialect, IChangeObserver subscribers, IReplicaNotifier replicas, TimelyMetrics metrics)
{
    private const int MaxWriteAttempts = 3;

    public StoreDialect Dialect => dialect;

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        using var span = TimelyTracing.Source.StartActivity("store read", ActivityKind.Client);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await dialect.OpenAsync(ct);
            return await work(connection);
        }
        catch (Exception e) when (dialect.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
        finally
        {
            metrics.StoreTransaction(write: false, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Runs <paramref name="work"/> in a write transaction; after the commit, the conversations it
    /// marked as changed (<see cref="WriteTransaction.Changed"/>) wake their subscribers. A transaction written
    /// for several calls (a batch) names the others' spans in <paramref name="links"/>.</summary>
    public async Task<T> WriteAsync<T>(Func<WriteTransaction, Task<T>> work, CancellationToken ct, IEnumerable<ActivityLink>? links = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var changes = new HashSet<ConversationRef>();
            T result;
            using (TimelyTracing.Source.StartActivity("store write", ActivityKind.Client, parentContext: default, links: links))
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    result = await dialect.WriteAsync((c, tx) => work(new WriteTransaction(c, tx, changes)), ct);
                }
                catch (Exception e) when (dialect.IsUniqueViolation(e) && attempt < MaxWriteAttempts)
                {
                    // A concurrent writer on another replica won a race (same request id, same new
                    // conversation); the retry reads what it wrote.
                    continue;
                }
                catch (Exception e) when (dialect.IsUnavailable(e))
                {
                    throw Unavailable(e);
                }
                finally
                {
                    metrics.StoreTransaction(write: true, Stopwatch.GetElapsedTime(started));
                }
            }
            if (changes.Count > 0)
            {
                using var fanOut = TimelyTracing.Source.StartActivity("feed fan-out");
                fanOut?.SetTag("timely.changes", changes.Count);
                foreach (var change in changes)
                {
                    subscribers.Changed(change.Workspace, change.ConversationId);
                }
                replicas.Notify(changes);
            }
            return result;
        }
    }

    /// <summary>Throws when the database cannot be reached.</summary>
    public Task PingAsync(CancellationToken ct) => ReadAsync<long>(c => dialect.PingAsync(c, ct), ct);

    private static StoreUnavailableException Unavailable(Exception e) => new("the database is unavailable; retry later", e);
}

/// <summary>One write transaction: its connection, and the conversations it changed.</summary>
public sealed class WriteTransaction(DbConnection connection, DbTransaction transaction, ISet<ConversationRef> changes)
{
    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    /// <summary>Marks a conversation as changed by this transaction: its subscribers wake after the commit.</summary>
    public void Changed(string workspace, Guid conversationId) => changes.Add(new ConversationRef(workspace, conversationId));
}
