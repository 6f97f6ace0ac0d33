using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Replay-then-live delivery of one conversation's messages. The subscriber reads the store
/// by sequence whenever it is woken, so a message committed while the stream switches from replay to
/// live is read exactly once, and a slow reader holds at most one batch in memory.</summary>
public sealed class MessageFeed(IConversationStore store, ChangeSignals signals, IOptions<FeedOptions> options, TimeProvider clock)
{
    /// <summary>Writes every message after <paramref name="afterSequence"/>, then each new one, until the
    /// conversation is closed and fully delivered (returns) or <paramref name="ct"/> is cancelled.
    /// <paramref name="live"/> runs once the subscription is in place: nothing written after it is missed.</summary>
    public async Task StreamAsync(
        string workspace, Guid conversationId, long afterSequence, Func<Task> live, Func<Message, Task> write, CancellationToken ct)
    {
        var o = options.Value;
        using var subscription = signals.Subscribe(workspace, conversationId);
        await live();
        var position = afterSequence;
        while (true)
        {
            // The conversation first: if it is closed in this read, every message up to its last
            // sequence is committed, so reading up to there delivers everything before the close.
            var conversation = await store.GetConversationAsync(workspace, conversationId, ct)
                ?? throw NotFoundException.Conversation(conversationId);
            while (position < conversation.LastSequence)
            {
                var batch = await store.ListMessagesAsync(workspace, conversationId, position, o.BatchSize, ct);
                if (batch.Count == 0)
                {
                    break;
                }
                foreach (var message in batch)
                {
                    await write(message);
                    position = message.Sequence;
                }
            }
            if (conversation.Status == ConversationStatus.Closed)
            {
                return;
            }
            await subscription.WaitAsync(o.PollInterval, clock, ct);
        }
    }
}
