using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Timely.Server.Storage.Postgres;

/// <summary>Tells the other replicas which conversations this one changed: a NOTIFY sent after the
/// commit, not inside the writing transaction (PostgreSQL serialises the commits of notifying
/// transactions, fsync included). Changes queue; one loop sends everything queued in one statement.
/// A notification is only a hint: if this process dies between a commit and its NOTIFY, the other
/// replicas' subscribers still read the change at their next wake-up or safety poll.</summary>
public sealed partial class PostgresChangeNotifier(
    IOptions<StorageOptions> options, IServiceProvider services, ILogger<PostgresChangeNotifier> logger)
    : BackgroundService, IReplicaNotifier
{
    public const string Channel = "timely_changes";
    private const int MaxBatch = 500;

    private readonly Channel<ConversationRef> queue = System.Threading.Channels.Channel.CreateBounded<ConversationRef>(
        new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>This replica, in every payload it sends, so that its listener skips its own.</summary>
    public Guid ReplicaId { get; } = Guid.NewGuid();

    public void Notify(IReadOnlyCollection<ConversationRef> changes)
    {
        foreach (var change in changes)
        {
            queue.Writer.TryWrite(change);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Provider != StorageOptions.PostgresProvider)
        {
            return;
        }
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var batch = new HashSet<ConversationRef>();
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var change))
                {
                    batch.Add(change);
                }
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    await connection.ExecuteAsync(new CommandDefinition(
                        "SELECT pg_notify(@Channel, payload) FROM unnest(@Payloads) AS payload",
                        new { Channel, Payloads = batch.Select(c => ChangePayload.Format(ReplicaId, c)).ToArray() },
                        cancellationToken: stoppingToken));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogNotifyFailed(e, batch.Count);
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other replicas about {Count} changed conversations; their subscribers catch up at their next poll")]
    private partial void LogNotifyFailed(Exception exception, int count);
}
