using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Replay-then-live delivery of one conversation's messages. The subscriber reads the store
/// by sequence whenever it is woken, so a message committed while the stream switches from replay to
/// live is read exactly once, and a slow reader holds at most one batch in memory.</summary>
public sealed class MessageFeed(
    IConversationStore store, ChangeSignals signals, ConversationTails tails, IOptions<FeedOptions> options, TimeProvider clock)
{
    /// <summary>Writes every message after <paramref name="afterSequence"/>, then each new one, until the
    /// conversation is closed and fully delivered (returns) or <paramref name="ct"/> is cancelled.
    /// <paramref name="live"/> runs once the subscription is in place: nothing written after it is missed.</summary>
    public async Task StreamAsync(
        string workspace, Guid conversationId, long afterSequence, Func<Task> live, Func<Message, Task> write, CancellationToken ct)
    {
        var o = options.Value;
        using var subscription = signals.Subscribe(workspace, conversationId);
        using var tail = tails.Follow(workspace, conversationId);
        await live();
        var position = afterSequence;
        var readAfter = signals.Tick(); // the first read starts after the subscription: no change falls between
        while (true)
        {
            // Shared with the other subscribers woken by the same change; catching up past one batch is our own.
            var (read, batch) = await tail.ReadAsync(position, o.BatchSize, readAfter, ct);
            var conversation = read ?? throw NotFoundException.Conversation(conversationId);
            while (true)
            {
                foreach (var message in batch)
                {
                    await write(message);
                    position = message.Sequence;
                }
                if (batch.Count < o.BatchSize || position >= conversation.LastSequence)
                {
                    break;
                }
                batch = await store.ListMessagesAsync(workspace, conversationId, position, o.BatchSize, ct);
            }
            if (conversation.Status == ConversationStatus.Closed)
            {
                return;
            }
            readAfter = await subscription.WaitAsync(o.PollInterval, clock, ct);
        }
    }
}
