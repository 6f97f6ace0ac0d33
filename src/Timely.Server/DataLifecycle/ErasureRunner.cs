using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Timely.Server.Observability;

namespace Timely.Server.DataLifecycle;

/// <summary>Runs erasures: when one starts on this replica (<see cref="Wake"/>), and every poll interval
/// for running erasures whose replica stopped. An erasure runs on the replica holding its lease (renewed
/// after every conversation); each step is a short transaction that is safe to repeat, so a run that stops
/// anywhere is continued by the next holder. Conversations are detached a batch at a time, then erased.</summary>
public sealed partial class ErasureRunner(
    ErasureStore store, IOptions<DataLifecycleOptions> options, TimeProvider clock, TimelyMetrics metrics, ILogger<ErasureRunner> logger)
    : BackgroundService
{
    private const int ConversationBatch = 50;
    private readonly string owner = Guid.NewGuid().ToString();
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Looks for running erasures now.</summary>
    public void Wake() => wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var (workspace, id) in await store.ListRunningAsync(100, stoppingToken))
                {
                    await RunAsync(workspace, id, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(e);
            }
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(Task.Delay(options.Value.PollInterval, clock, poll.Token), wake.Reader.WaitToReadAsync(poll.Token).AsTask());
            await poll.CancelAsync();
            wake.Reader.TryRead(out _);
        }
    }

    /// <summary>Runs the erasure to its end when this replica gets its lease; returns it as it ended, or
    /// null when another replica holds it (or it is unknown).</summary>
    public async Task<Erasure?> RunAsync(string workspace, Guid id, CancellationToken ct)
    {
        var batch = options.Value.BatchSize;
        while (await Lease(workspace, id, ct) && await store.GetAsync(workspace, id, ct) is { State: ErasureState.Running } e)
        {
            var retention = e.Reason == ErasureReason.Retention;
            var found = await store.FindConversationsAsync(e, ConversationBatch, ct);
            var detached = 0;
            foreach (var conversation in found)
            {
                if (await store.DetachAsync(e, conversation, clock.GetUtcNow(), ct))
                {
                    detached++;
                    metrics.Erased(retention, 1, 0);
                }
            }
            foreach (var (conversation, tombstone) in await store.ListItemsAsync(e, ConversationBatch, ct))
            {
                // The events first: the message events are found through the messages (EventLog.ConversationEventIds).
                while (await store.ScrubEventLogAsync(e, conversation, tombstone, batch, ct) == batch)
                {
                }
                foreach (var table in ErasureStore.ConversationScopedTables)
                {
                    int erased;
                    do
                    {
                        erased = await store.EraseRowsAsync(e, conversation, table, batch, ct);
                        metrics.Erased(retention, 0, table.Counter == ErasureStore.MessagesCounter ? erased : 0);
                    }
                    while (erased == batch);
                }
                await store.FinishItemAsync(e, conversation, ct);
                if (!await Lease(workspace, id, ct))
                {
                    return null;
                }
            }
            if (found.Count < ConversationBatch || detached == 0)
            {
                // Nothing (or nothing more this round) to detach: done once every detached conversation is erased.
                if (await store.FinishAsync(e, clock.GetUtcNow(), ct) is { } finished)
                {
                    LogErased(finished.Id, finished.Workspace, finished.ConversationsErased, finished.MessagesErased);
                    return finished;
                }
            }
        }
        return await store.GetAsync(workspace, id, ct) is { State: ErasureState.Succeeded } done ? done : null;
    }

    private Task<bool> Lease(string workspace, Guid id, CancellationToken ct) =>
        store.TryLeaseAsync(workspace, id, owner, clock.GetUtcNow(), options.Value.LeaseDuration, ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {Id} of workspace {Workspace} erased {Conversations} conversations and {Messages} messages")]
    private partial void LogErased(Guid id, string workspace, long conversations, long messages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Running erasures failed; retrying at the next interval")]
    private partial void LogFailed(Exception exception);
}
