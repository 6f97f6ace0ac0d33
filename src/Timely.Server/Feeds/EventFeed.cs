using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Observability;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Delivery of a workspace's event log, filtered, from a position on. Like
/// <see cref="MessageFeed"/>, it reads the store whenever woken, so it neither skips nor repeats;
/// watchers with the same filter at the same position share their reads. Counts its open streams, and the
/// lag of each event it delivers live (after the first read).</summary>
public sealed class EventFeed(EventLog log, ChangeSignals signals, IOptions<FeedOptions> options, TimeProvider clock, TimelyMetrics metrics)
{
    // No caller's token: the read is shared, each caller stops waiting for it on its own.
    private readonly SharedReads<(string Workspace, EventFilter Filter), (EventPosition After, int Limit), EventPage> watches =
        new(signals, (key, what) => log.ListAsync(key.Workspace, key.Filter, what.After, what.Limit, CancellationToken.None));

    /// <summary>Writes every matching event after <paramref name="after"/> (or after the present when
    /// null), then each new one, until <paramref name="ct"/> is cancelled. A position past the present
    /// is OUT_OF_RANGE. <paramref name="live"/> runs once the subscription and the starting position are
    /// in place: no later change is missed.</summary>
    public async Task WatchAsync(
        string workspace, EventFilter filter, EventPosition? after, Func<Task> live, Func<ConversationEvent, Task> write, CancellationToken ct)
    {
        var o = options.Value;
        using var subscription = signals.Subscribe(workspace, conversationId: null);
        using var watch = watches.Follow((workspace, filter));
        using var open = new OpenStream(metrics, StreamKind.Watch);
        var present = await log.GetPresentAsync(ct);
        if (after > present)
        {
            throw new PositionOutOfRangeException("after_cursor", "after_cursor is past the end of the event log");
        }
        var position = after ?? present;
        await live();
        var readAfter = signals.Tick(); // the first read starts after the subscription: no change falls between
        for (var first = true; ; first = false)
        {
            var page = await watch.ReadAsync((position, o.BatchSize), readAfter, ct);
            if (position < page.PrunedThrough)
            {
                throw new PositionOutOfRangeException("after_cursor",
                    "events after this cursor were deleted by retention; list the conversations again and watch from the present");
            }
            foreach (var e in page.Events)
            {
                await write(e);
                if (!first)
                {
                    metrics.Delivered(StreamKind.Watch, clock.GetUtcNow() - e.OccurredAt);
                }
            }
            position = page.ReadThrough;
            if (page.Events.Count < o.BatchSize)
            {
                readAfter = await subscription.WaitAsync(page.Pending ? o.PendingRecheck : o.PollInterval, clock, ct);
            }
        }
    }
}
