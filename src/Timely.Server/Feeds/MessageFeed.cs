using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Observability;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Replay-then-live delivery of one conversation's messages. The subscriber reads the store
/// by sequence whenever it is woken, so a message committed while the stream switches from replay to
/// live is read exactly once, and a slow reader holds at most one batch in memory (<see cref="FeedOptions.BatchSize"/>
/// items, <see cref="FeedOptions.MaxBatchBytes"/> bytes). Subscribers of one
/// conversation share the read that follows a wake-up (<see cref="SharedReads{TGroup, TRead, TResult}"/>).
/// Counts its open streams, and the lag of each message it delivers live (after the replay).</summary>
public sealed class MessageFeed(
    IConversationStore store, ChangeSignals signals, IOptions<FeedOptions> options, TimeProvider clock, TimelyMetrics metrics, LiveHub hub)
{
    /// <summary>How long a closed conversation's stream waits for its drafts in progress to end.</summary>
    private static readonly TimeSpan DraftSettleTimeout = TimeSpan.FromSeconds(5);

    private readonly SharedReads<(string Workspace, Guid Conversation), (long AfterSequence, int Limit), Tail> tails =
        new(signals, (key, what) => ReadTailAsync(store, key, what, options.Value.MaxBatchBytes));

    /// <summary>Writes every message after <paramref name="afterSequence"/>, then each new one, until the
    /// conversation is closed and fully delivered (returns) or <paramref name="ct"/> is cancelled. An unknown
    /// conversation is NOT_FOUND, a position past its last message OUT_OF_RANGE. <paramref name="live"/> runs
    /// once the subscription is in place and the position checked: nothing written after it is missed.</summary>
    /// <para>Only messages of <paramref name="visibility"/> are written when it is set (the others still move
    /// the position). With <paramref name="writeLive"/>, the conversation's live items are written too: first a
    /// snapshot of its drafts and activities, then each as it comes, every one published before a message was
    /// committed ahead of that message, and one about a message (<see cref="LiveItem.AfterSequence"/>) after it.
    /// With <paramref name="updates"/>, each wake-up also delivers the conversation's updates after its messages.</para>
    public async Task StreamAsync(
        string workspace, Guid conversationId, long afterSequence, Func<Task> live, Func<Message, Task> write, CancellationToken ct,
        MessageVisibility? visibility = null, Func<LiveItem, Task>? writeLive = null, MessageUpdates? updates = null)
    {
        var o = options.Value;
        using var subscription = signals.Subscribe(workspace, conversationId, live: writeLive is not null);
        var deferred = new List<LiveItem>();
        long snapshotUpTo = 0;
        var shownDrafts = new HashSet<Guid>();   // drafts this stream has written in progress
        var endedDrafts = new HashSet<Guid>();
        using var tail = tails.Follow((workspace, conversationId));
        using var open = new OpenStream(metrics, StreamKind.Messages);
        var position = afterSequence;
        var readAfter = signals.Tick(); // the first read starts after the subscription: no change falls between
        async Task WriteLiveAsync(bool snapshot)
        {
            if (writeLive is null)
            {
                return;
            }
            // What queued before the last snapshot is in it: skipped, so that nothing arrives twice.
            var items = subscription.TakeLive(out var overflow).Where(i => i.Stamp > snapshotUpTo).ToList();
            if (snapshot || overflow)
            {
                items = [.. hub.Snapshot(workspace, conversationId, out snapshotUpTo)]; // a fresh start replaces what queued
            }
            foreach (var item in items)
            {
                if (item.AfterSequence > position)
                {
                    deferred.Add(item);
                }
                else
                {
                    await WriteItemAsync(item);
                }
            }
        }
        async Task WriteItemAsync(LiveItem item)
        {
            if (item.Draft is { State: DraftState.Committed or DraftState.Abandoned } ended)
            {
                endedDrafts.Add(ended.DraftId);
            }
            else if (item.Draft is { } shown)
            {
                shownDrafts.Add(shown.DraftId);
            }
            await writeLive!(item);
        }
        async Task ReleaseDeferredAsync()
        {
            foreach (var item in deferred.Where(i => i.AfterSequence <= position).ToList())
            {
                deferred.Remove(item);
                await WriteItemAsync(item);
            }
        }
        // A draft in progress when the conversation closes ends with it (abandoned, or committed just
        // before the close): its writer, here or on another replica, publishes that soon after. Wait a
        // bounded while for it, so that a closed conversation's stream ends with each draft's last word.
        async Task SettleDraftsAsync()
        {
            if (writeLive is null)
            {
                return;
            }
            await WriteLiveAsync(snapshot: false);
            // The drafts in progress now, and those this stream showed in progress: the hub forgets a draft as it
            // publishes its end, a moment before the end reaches this stream's mailbox.
            var inProgress = hub.Snapshot(workspace, conversationId).Where(i => i.Draft is not null).Select(i => i.Draft!.DraftId).ToHashSet();
            inProgress.UnionWith(shownDrafts);
            var deadline = Environment.TickCount64 + (long)DraftSettleTimeout.TotalMilliseconds;
            while (inProgress.Except(endedDrafts).Any() && Environment.TickCount64 < deadline)
            {
                await subscription.WaitAsync(o.PendingRecheck, TimeProvider.System, ct);
                await WriteLiveAsync(snapshot: false);
                await ReleaseDeferredAsync();
            }
        }
        for (var first = true; ; first = false)
        {
            if (!subscription.TakeStoreChange() && !first)
            {
                await WriteLiveAsync(snapshot: false); // woken by live items only: the store has nothing new
                readAfter = await subscription.WaitAsync(o.PollInterval, clock, ct);
                continue;
            }
            var (read, batch) = await tail.ReadAsync((position, o.BatchSize), readAfter, ct);
            var conversation = read ?? throw NotFoundException.Conversation(conversationId);
            if (first)
            {
                if (afterSequence > conversation.LastSequence)
                {
                    throw new PositionOutOfRangeException("after_sequence",
                        $"after_sequence {afterSequence} is past the conversation's last sequence {conversation.LastSequence}");
                }
                if (updates is not null)
                {
                    await updates.StartAsync(ct);
                }
                await live();
            }
            // Live items published before a message's commit were queued before this read saw it.
            await WriteLiveAsync(snapshot: first);
            while (true)
            {
                foreach (var message in batch)
                {
                    if (visibility is null || message.Visibility == visibility)
                    {
                        await write(message);
                    }
                    position = message.Sequence;
                    if (!first)
                    {
                        metrics.Delivered(StreamKind.Messages, clock.GetUtcNow() - message.CreatedAt);
                    }
                }
                if (batch.Count == 0 || position >= conversation.LastSequence)
                {
                    break; // a batch cut by its bytes stops short of a full count: the last sequence tells
                }
                batch = await store.ListMessagesAsync(workspace, conversationId, position, o.BatchSize, ct, maxBytes: o.MaxBatchBytes); // catching up: our own reads
            }
            if (deferred.Count > 0)
            {
                await ReleaseDeferredAsync();
            }
            if (updates is not null)
            {
                await updates.DeliverAsync(o.BatchSize, o.MaxBatchBytes, ct);
            }
            if (conversation.Status == ConversationStatus.Closed)
            {
                // Every update before the close is committed, but on PostgreSQL may not be final yet: read
                // until it is, so the stream ends with all of them.
                while (updates is { Pending: true })
                {
                    await subscription.WaitForDatabaseAsync(o, ct);
                    await updates.DeliverAsync(o.BatchSize, o.MaxBatchBytes, ct);
                }
                await SettleDraftsAsync();
                return;
            }
            readAfter = await (updates?.Pending == true ? subscription.WaitForDatabaseAsync(o, ct) : subscription.WaitAsync(o.PollInterval, clock, ct));
        }
    }

    /// <summary>The conversation as read, and its messages after the position asked for (at most a batch).</summary>
    private sealed record Tail(Conversation? Conversation, IReadOnlyList<Message> Messages);

    private static async Task<Tail> ReadTailAsync(
        IConversationStore store, (string Workspace, Guid Conversation) key, (long AfterSequence, int Limit) what, long maxBytes)
    {
        // The conversation first: if it is closed in this read, every message up to its last
        // sequence is committed, so reading up to there delivers everything before the close.
        // No caller's token: the read is shared, each caller stops waiting for it on its own.
        var conversation = await store.GetConversationAsync(key.Workspace, key.Conversation, CancellationToken.None);
        var messages = conversation is not null && conversation.LastSequence > what.AfterSequence
            ? await store.ListMessagesAsync(key.Workspace, key.Conversation, what.AfterSequence, what.Limit, CancellationToken.None, maxBytes: maxBytes)
            : [];
        return new Tail(conversation, messages);
    }
}
