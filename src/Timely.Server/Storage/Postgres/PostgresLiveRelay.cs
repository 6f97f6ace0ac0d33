using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Timely.Server.Domain;

namespace Timely.Server.Storage.Postgres;

/// <summary>Live-only items across replicas through NOTIFY/LISTEN on their own channel: one loop sends
/// what is queued, in order, in one statement; a dedicated connection listens and hands the other
/// replicas' items, in arrival order, to this process's subscribers. A payload names the conversation
/// but does not carry it (NOTIFY payloads are under 8,000 bytes): the receiver reads it, keeping it for
/// a second, so a draft's deltas cost one read. Draft deltas are cut to at most
/// <see cref="MaxTextChars"/> characters by the writer, so a payload always fits.</summary>
public sealed partial class PostgresLiveRelay(
    IOptions<StorageOptions> options, IServiceProvider services, ILogger<PostgresLiveRelay> logger)
    : BackgroundService, ILiveRelay
{
    public const string Channel = "timely_live";

    /// <summary>Characters of draft text in one item (at most 4 bytes of UTF-8 each, 6 when escaped in JSON).</summary>
    public const int MaxTextChars = 1000;

    private const int MaxBatch = 200;
    private static readonly TimeSpan SnapshotLife = TimeSpan.FromSeconds(1);

    private readonly Channel<(string? Payload, TaskCompletionSource? Flushed)> queue =
        System.Threading.Channels.Channel.CreateBounded<(string?, TaskCompletionSource?)>(
            new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });

    private readonly Channel<Payload> received = System.Threading.Channels.Channel.CreateUnbounded<Payload>(
        new UnboundedChannelOptions { SingleReader = true });

    private readonly Guid replica = Guid.NewGuid();
    private long sent;

    private bool IsPostgres => options.Value.Provider == StorageOptions.PostgresProvider;

    public void Send(LiveItem item)
    {
        if (!IsPostgres)
        {
            return;
        }
        var payload = new Payload(replica, Interlocked.Increment(ref sent), item.Workspace, item.ConversationId, item.Draft, item.Activity, item.AfterSequence);
        queue.Writer.TryWrite((JsonSerializer.Serialize(payload), null));
    }

    public Task FlushAsync(CancellationToken ct)
    {
        if (!IsPostgres)
        {
            return Task.CompletedTask;
        }
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Writer.TryWrite((null, flushed));
        return flushed.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        IsPostgres ? Task.WhenAll(SendLoopAsync(stoppingToken), ListenLoopAsync(stoppingToken), DeliverLoopAsync(stoppingToken)) : Task.CompletedTask;

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var payloads = new List<string>();
        var flushes = new List<TaskCompletionSource>();
        try
        {
            while (await queue.Reader.WaitToReadAsync(ct))
            {
                while (payloads.Count < MaxBatch && queue.Reader.TryRead(out var entry))
                {
                    if (entry.Payload is { } p)
                    {
                        payloads.Add(p);
                    }
                    if (entry.Flushed is { } f)
                    {
                        flushes.Add(f);
                    }
                }
                if (payloads.Count > 0)
                {
                    try
                    {
                        await using var connection = await dataSource.OpenConnectionAsync(ct);
                        // Volatile functions in the select list run after the sort: in the order sent.
                        await connection.ExecuteAsync(new CommandDefinition(
                            "SELECT pg_notify(@Channel, t.payload) FROM unnest(@Payloads) WITH ORDINALITY AS t(payload, n) ORDER BY t.n",
                            new { Channel, Payloads = payloads.ToArray() }, cancellationToken: ct));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogSendFailed(e, payloads.Count);
                    }
                }
                foreach (var f in flushes)
                {
                    f.TrySetResult();
                }
                payloads.Clear();
                flushes.Clear();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ListenLoopAsync(CancellationToken ct)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(options.Value.PostgresConnectionString)
        {
            ApplicationName = PostgresChangeListener.ApplicationName + "-live",
            Pooling = false,
            KeepAlive = 10,
        }.ToString();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                connection.Notification += (_, e) =>
                {
                    if (JsonSerializer.Deserialize<Payload>(e.Payload) is { } p && p.Replica != replica)
                    {
                        received.Writer.TryWrite(p);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }
                while (true)
                {
                    await connection.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogListenLost(e);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Hands received items on in arrival order, each with the conversation it names.</summary>
    private async Task DeliverLoopAsync(CancellationToken ct)
    {
        var store = services.GetRequiredService<IConversationStore>();
        // Resolved here: the observer (Feeds) sends through this relay.
        var observer = services.GetService<ILiveObserver>();
        var recent = new Dictionary<Guid, (Conversation Conversation, long ReadAt)>();
        try
        {
            await foreach (var p in received.Reader.ReadAllAsync(ct))
            {
                try
                {
                    var now = Environment.TickCount64;
                    if (!recent.TryGetValue(p.ConversationId, out var known) || now - known.ReadAt > SnapshotLife.TotalMilliseconds)
                    {
                        if (await store.GetConversationAsync(p.Workspace, p.ConversationId, ct) is not { } conversation)
                        {
                            continue;
                        }
                        known = (conversation, now);
                        if (recent.Count > 10_000)
                        {
                            recent.Clear();
                        }
                        recent[p.ConversationId] = known;
                    }
                    observer?.Received(new LiveItem(p.Workspace, known.Conversation, p.Draft, p.Activity) { AfterSequence = p.AfterSequence });
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogDeliverFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private sealed record Payload(Guid Replica, long N, string Workspace, Guid ConversationId, DraftUpdate? Draft, ActivityUpdate? Activity, long AfterSequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Count} live items to the other replicas")]
    private partial void LogSendFailed(Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live items of other replicas lost; listening again")]
    private partial void LogListenLost(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A live item of another replica could not be delivered")]
    private partial void LogDeliverFailed(Exception exception);
}
