using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>The update items of one StreamMessages call that asked for them (issue 21): the conversation's
/// delivery status changes, edits, redactions and read horizon moves, read from the event log after a
/// position, each once, in log order. <see cref="MessageFeed"/> delivers them after the new messages of
/// each wake-up, so they share its subscription: no extra wake-ups, and a missed notification delays
/// them only as it delays messages. With <paramref name="visibility"/>, an update about a message of another
/// visibility (an internal note's edit on a public stream) is skipped, as the message itself is.</summary>
public sealed class MessageUpdates(
    EventLog log, string workspace, Guid conversationId, EventPosition? after, Func<ConversationEvent, Task> write, MessageVisibility? visibility = null)
{
    private readonly EventFilter filter = new(null, null, conversationId, []);
    private EventPosition position;
    private LogPresent? start;   // from the present: what it skips

    /// <summary>Where the updates start (after <see cref="StartAsync"/>) and, later, how far they were read.</summary>
    public EventPosition Position => position;

    /// <summary>True when the last read found events that are not final yet (read again soon).</summary>
    public bool Pending { get; private set; }

    public static bool IsUpdate(ConversationEventType type) => type is ConversationEventType.MessageStatusChanged
        or ConversationEventType.MessageEdited or ConversationEventType.MessageRedacted or ConversationEventType.ReadHorizonChanged;

    /// <summary>Fixes the starting position (the present of the log when none was given); runs once the
    /// subscription is in place, so no later update is missed.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var present = await log.GetPresentAsync(workspace, ct);
        if (after > present.Position)
        {
            throw new PositionOutOfRangeException("after_update_cursor", "after_update_cursor is past the end of the event log");
        }
        position = after ?? present.Position;
        start = after is null ? present : null;
    }

    /// <summary>Writes every update after the position, a batch (at most <paramref name="batchSize"/> events,
    /// <paramref name="maxBytes"/> bytes) at a time.</summary>
    public async Task DeliverAsync(int batchSize, long maxBytes, CancellationToken ct)
    {
        while (true)
        {
            var page = await log.ListAsync(workspace, filter, position, batchSize, ct, maxBytes);
            if (position < page.PrunedThrough)
            {
                throw new PositionOutOfRangeException("after_update_cursor",
                    "updates after this cursor were deleted by retention; list the messages again and stream from the present");
            }
            foreach (var e in page.Events.Where(e => IsUpdate(e.Type) && (visibility is null || e.Message is null || e.Message.Visibility == visibility)
                && start?.IsAfter(e) != false))
            {
                await write(e);
            }
            position = page.ReadThrough;
            Pending = page.Pending;
            if (!page.Full)
            {
                return;
            }
        }
    }
}
