using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Observability;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Delivery of a workspace's event log, filtered, from a position on. Like
/// <see cref="MessageFeed"/>, it reads the store whenever woken, so it neither skips nor repeats;
/// watchers with the same filter at the same position share their reads. Counts its open streams, and the
/// lag of each event it delivers live (after the first read).</summary>
public sealed class EventFeed(EventLog log, ChangeSignals signals, IOptions<FeedOptions> options, TimeProvider clock, TimelyMetrics metrics, LiveHub hub)
{
    // No caller's token: the read is shared, each caller stops waiting for it on its own.
    private readonly SharedReads<(string Workspace, EventFilter Filter), (EventPosition After, int Limit), EventPage> watches =
        new(signals, (key, what) => log.ListAsync(key.Workspace, key.Filter, what.After, what.Limit, CancellationToken.None, options.Value.MaxBatchBytes));

    /// <summary>Writes every matching event after <paramref name="after"/> (or after the present when
    /// null), then each new one, until <paramref name="ct"/> is cancelled. A position past the present
    /// is OUT_OF_RANGE. <paramref name="live"/> runs once the subscription and the starting position are
    /// in place: no later change is missed.</summary>
    /// <para>MESSAGE_ADDED events of messages of another <paramref name="visibility"/> are skipped when it is set.
    /// With <paramref name="includeLive"/>, the live items of matching conversations are written too, as
    /// REPLY_DRAFT and AGENT_ACTIVITY events at the watch's position: first a snapshot, then each as it comes.</para>
    public async Task WatchAsync(
        string workspace, EventFilter filter, EventPosition? after, Func<Task> live, Func<ConversationEvent, Task> write, CancellationToken ct,
        MessageVisibility? visibility = null, bool includeLive = false)
    {
        var o = options.Value;
        using var subscription = signals.Subscribe(workspace, conversationId: null, live: includeLive);
        using var watch = watches.Follow((workspace, filter));
        using var open = new OpenStream(metrics, StreamKind.Watch);
        long snapshotUpTo = 0;
        var present = await log.GetPresentAsync(workspace, ct);
        if (after > present.Position)
        {
            throw new PositionOutOfRangeException("after_cursor", "after_cursor is past the end of the event log");
        }
        var position = after ?? present.Position;
        var start = after is null ? present : null;   // from the present: what it skips
        await live();
        var readAfter = signals.Tick(); // the first read starts after the subscription: no change falls between
        async Task WriteLiveAsync(bool snapshot)
        {
            if (!includeLive)
            {
                return;
            }
            // What queued before the last snapshot is in it: skipped, so that nothing arrives twice.
            var items = subscription.TakeLive(out var overflow).Where(i => i.Stamp > snapshotUpTo).ToList();
            if (snapshot || overflow)
            {
                items = [.. hub.Snapshot(workspace, conversationId: null, out snapshotUpTo)];
            }
            foreach (var item in items.Where(i => Matches(filter, i.Conversation)))
            {
                var type = item.Draft is not null ? ConversationEventType.ReplyDraft : ConversationEventType.AgentActivity;
                var occurred = item.Draft?.OccurredAt ?? item.Activity!.OccurredAt;
                await write(new ConversationEvent(position, type, occurred, item.Conversation, null, null, null) { Live = item });
            }
        }
        await WriteLiveAsync(snapshot: true);
        var storeChange = true;
        for (var first = true; ; first = false)
        {
            if (!storeChange)
            {
                await WriteLiveAsync(snapshot: false);
                readAfter = await subscription.WaitAsync(o.PollInterval, clock, ct);
                storeChange = subscription.TakeStoreChange();
                continue;
            }
            var page = await watch.ReadAsync((position, o.BatchSize), readAfter, ct);
            await WriteLiveAsync(snapshot: false);
            if (position < page.PrunedThrough)
            {
                throw new PositionOutOfRangeException("after_cursor",
                    "events after this cursor were deleted by retention; list the conversations again and watch from the present");
            }
            foreach (var e in page.Events)
            {
                if ((visibility is not null && e.Message is { } m && m.Visibility != visibility) || start?.IsAfter(e) == false)
                {
                    continue;
                }
                await write(e);
                if (!first)
                {
                    metrics.Delivered(StreamKind.Watch, clock.GetUtcNow() - e.OccurredAt);
                }
            }
            position = page.ReadThrough;
            if (!page.Full)
            {
                readAfter = await (page.Pending ? subscription.WaitForDatabaseAsync(o, ct) : subscription.WaitAsync(o.PollInterval, clock, ct));
                storeChange = subscription.TakeStoreChange() || page.Pending;
            }
        }
    }

    /// <summary>Whether a live item's conversation matches the watch filter (statuses: its status when the item was made).</summary>
    private static bool Matches(EventFilter f, Conversation c) =>
        (f.AgentId is null || f.AgentId == c.AgentId) && (f.ChannelId is null || f.ChannelId == c.ChannelId)
        && (f.ConversationId is null || f.ConversationId == c.Id) && (f.Statuses.Count == 0 || f.Statuses.Contains(c.Status));
}
