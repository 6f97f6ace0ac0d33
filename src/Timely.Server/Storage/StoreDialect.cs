using System.Data.Common;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>What differs between the databases behind the stores: how to open a connection, how
/// writes are committed, how far the event log may be read, and the few statements whose SQL is not
/// portable.</summary>
public abstract class StoreDialect
{
    /// <summary>Opens a connection for reading.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct);

    /// <summary>Begins a read-only transaction whose statements all see one snapshot, without blocking writers.</summary>
    public abstract Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct);

    /// <summary>A query of one row that takes a lock, named by @LockKey, held until the transaction ends
    /// (a conversation about to change, a contact whose conversation may be created), or null where
    /// writers take turns already.</summary>
    public abstract string? LockSql { get; }

    /// <summary>True where each write transaction commits on its own (PostgreSQL: a commit, and a transaction's
    /// fixed cost, per write), false where concurrent writes commit together already (SQLite's group commit). Where
    /// true, inbound messages to an open conversation join the append batches (ConversationStore.IngestCustomerMessageAsync).</summary>
    public abstract bool CommitsEachWriteAlone { get; }

    /// <summary>One row (tx, id): the position below which the event log is final in this snapshot (no
    /// event can still appear there), see <see cref="Domain.EventPosition"/>.</summary>
    public abstract string EventLogHeadSql { get; }

    /// <summary>A condition on events (alias c) that keeps those below the head, or "" where every
    /// committed event is below it.</summary>
    public abstract string FinalEventsCondition { get; }

    /// <summary>A query of one boolean: has a committed event of @Workspace not reached the head yet
    /// (a transaction begun before it is still running)? Null where that cannot happen.</summary>
    public abstract string? PendingEventsSql { get; }

    /// <summary>A query of the ids of @Workspace's committed events that have not reached the head yet, in
    /// log order, at most @Limit; null where every committed event is below the head.</summary>
    public abstract string? CommittedAboveHeadSql { get; }

    /// <summary>A condition: <paramref name="column"/> is one of the values <paramref name="subquery"/> selects (a
    /// batch of rows, LIMIT @Batch), the subquery run once, whatever the planner believes of the table's size.</summary>
    public abstract string AnyOf(string column, string subquery);

    /// <summary>The full-text search SQL of this database.</summary>
    public abstract ISearchSql Search { get; }

    /// <summary>True for a unique-key violation: a concurrent writer won a race and the write is retried.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>True when the database cannot be reached (as opposed to a bad statement).</summary>
    public abstract bool IsUnavailable(Exception exception);

    /// <summary>Creates or upgrades the schema.</summary>
    public abstract Task MigrateAsync(CancellationToken ct);

    /// <summary>Runs the reads of a write's batch, each returning at most one row, read in order: by default as one
    /// command (one round trip).</summary>
    internal virtual async Task<PositionalReader> QueryAsync(StatementBatch reads, WriteTransaction write, CancellationToken ct) =>
        await PositionalReader.ExecuteAsync(write.Connection, reads.AsOneCommand(write, ct));

    /// <summary>Runs the statements of a write's batch.</summary>
    public abstract Task ExecuteAsync(StatementBatch batch, WriteTransaction write, CancellationToken ct);

    public Task<long> PingAsync(DbConnection connection, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: ct));
}
