using Timely.Server.Domain;
using static Timely.Server.UnitTests.Examples;

namespace Timely.Server.UnitTests.Domain;

/// <summary>The lifecycle of internal notes: the next sequence, and nothing else about the conversation changes.</summary>
public sealed class InternalNoteTests
{
    [Theory]
    [InlineData(ConversationStatus.Open, SenderType.AiAgent)]
    [InlineData(ConversationStatus.Open, SenderType.HumanAgent)]
    [InlineData(ConversationStatus.Waiting, SenderType.HumanAgent)]
    [InlineData(ConversationStatus.Human, SenderType.AiAgent)]
    public void InternalNoteTakesTheNextSequenceAndMovesNeitherStatusNorLastMessageAt(ConversationStatus status, SenderType sender)
    {
        var current = Conversation(status, lastSequence: 3);
        var (message, change) = Lifecycle.Append(current, Text(sender, FirstHuman) with { Visibility = MessageVisibility.Internal }, Now);

        Assert.Equal(4, message.Sequence);
        Assert.Equal(MessageVisibility.Internal, message.Visibility);
        Assert.Equal(current with { LastSequence = 4 }, change.After);
        Assert.Equal([ConversationEventType.MessageAdded], change.Events.Select(e => e.Type));
    }

    [Fact]
    public void NothingIsAppendedToAClosedConversationNotEvenANote()
    {
        var refused = Assert.Throws<TransitionRefusedException>(() =>
            Lifecycle.Append(Conversation(ConversationStatus.Closed), Text(SenderType.AiAgent) with { Visibility = MessageVisibility.Internal }, Now));
        Assert.Equal("CONVERSATION_CLOSED", refused.Reason);
    }
}
