using Timely.Server.Domain;
using static Timely.Server.UnitTests.Examples;

namespace Timely.Server.UnitTests.Domain;

/// <summary>The transition table of Domain/Lifecycle.cs, every (status, action) pair, stated here as the
/// README and the proto comments document it, plus the rules for assigned_to, closed_at and appends.</summary>
public sealed class LifecycleTests
{
    private const ConversationStatus Open = ConversationStatus.Open;
    private const ConversationStatus Human = ConversationStatus.Human;
    private const ConversationStatus Closed = ConversationStatus.Closed;
    private const ConversationStatus Waiting = ConversationStatus.Waiting;

    /// <summary>(from, action) -> the status after.</summary>
    public static TheoryData<ConversationStatus, LifecycleAction, ConversationStatus> Allowed => new()
    {
        { Open, LifecycleAction.Handoff, Human },
        { Open, LifecycleAction.Close, Closed },
        { Open, LifecycleAction.MarkWaiting, Waiting },
        { Open, LifecycleAction.CustomerMessage, Open },
        { Open, LifecycleAction.AiAgentMessage, Open },
        { Open, LifecycleAction.HumanAgentMessage, Human },
        { Open, LifecycleAction.SystemMessage, Open },

        { Waiting, LifecycleAction.Handoff, Human },
        { Waiting, LifecycleAction.Close, Closed },
        { Waiting, LifecycleAction.Expire, Closed },
        { Waiting, LifecycleAction.CustomerMessage, Open },
        { Waiting, LifecycleAction.AiAgentMessage, Waiting },
        { Waiting, LifecycleAction.HumanAgentMessage, Human },
        { Waiting, LifecycleAction.SystemMessage, Waiting },

        { Human, LifecycleAction.Resume, Open },
        { Human, LifecycleAction.Close, Closed },
        { Human, LifecycleAction.CustomerMessage, Human },
        { Human, LifecycleAction.HumanAgentMessage, Human },
        { Human, LifecycleAction.SystemMessage, Human },
    };

    /// <summary>(from, action) -> the reason of the refusal.</summary>
    public static TheoryData<ConversationStatus, LifecycleAction, string> Refused
    {
        get
        {
            var refused = new TheoryData<ConversationStatus, LifecycleAction, string>
            {
                { Open, LifecycleAction.Resume, "TRANSITION_NOT_ALLOWED" },
                { Open, LifecycleAction.Expire, "TRANSITION_NOT_ALLOWED" },
                { Waiting, LifecycleAction.Resume, "TRANSITION_NOT_ALLOWED" },
                { Waiting, LifecycleAction.MarkWaiting, "TRANSITION_NOT_ALLOWED" },
                { Human, LifecycleAction.Handoff, "TRANSITION_NOT_ALLOWED" },
                { Human, LifecycleAction.MarkWaiting, "TRANSITION_NOT_ALLOWED" },
                { Human, LifecycleAction.Expire, "TRANSITION_NOT_ALLOWED" },
                { Human, LifecycleAction.AiAgentMessage, "HUMAN_OWNS_CONVERSATION" },
            };
            foreach (var action in Enum.GetValues<LifecycleAction>())
            {
                refused.Add(Closed, action, "CONVERSATION_CLOSED");
            }
            return refused;
        }
    }

    /// <summary>The sender whose message is each message action.</summary>
    private static readonly Dictionary<LifecycleAction, SenderType> Writers = new()
    {
        [LifecycleAction.CustomerMessage] = SenderType.Customer,
        [LifecycleAction.AiAgentMessage] = SenderType.AiAgent,
        [LifecycleAction.HumanAgentMessage] = SenderType.HumanAgent,
        [LifecycleAction.SystemMessage] = SenderType.System,
    };

    public static TheoryData<ConversationStatus, LifecycleAction, ConversationStatus> AllowedMessages =>
        Filter(Allowed, row => Writers.ContainsKey((LifecycleAction)row[1]));

    public static TheoryData<ConversationStatus, LifecycleAction, string> RefusedMessages =>
        Filter(Refused, row => Writers.ContainsKey((LifecycleAction)row[1]));

    [Fact]
    public void TheTableNamesEveryStatusAndActionOnce()
    {
        var named = Allowed.Concat(Refused).Select(row => ((ConversationStatus)row[0], (LifecycleAction)row[1])).ToList();
        var every = Enum.GetValues<ConversationStatus>().SelectMany(s => Enum.GetValues<LifecycleAction>().Select(a => (s, a)));
        Assert.Equal(every.Order(), named.Order());
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void AllowedTransitionGivesTheDocumentedStatusAndChangesNothingElse(ConversationStatus from, LifecycleAction action, ConversationStatus to)
    {
        var before = Conversation(from);
        var after = Lifecycle.Apply(before, action, Now, SecondHuman);
        Assert.Equal(to, after.Status);
        Assert.Equal(before with { Status = after.Status, AssignedTo = after.AssignedTo, ClosedAt = after.ClosedAt }, after);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedTransitionThrowsTheDocumentedReason(ConversationStatus from, LifecycleAction action, string reason)
    {
        var refusal = Assert.Throws<TransitionRefusedException>(() => Lifecycle.Apply(Conversation(from), action, Now, SecondHuman));
        Assert.Equal(reason, refusal.Reason);
        Assert.Equal(from, refusal.Current);
        Assert.NotEmpty(refusal.Message);
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void AssignedToIsSetExactlyWhileHumanOwnsTheConversation(ConversationStatus from, LifecycleAction action, ConversationStatus to)
    {
        var after = Lifecycle.Apply(Conversation(from), action, Now, SecondHuman);
        Assert.Equal(to == Human, after.AssignedTo is not null);
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void ClosedAtIsSetWhenTheConversationCloses(ConversationStatus from, LifecycleAction action, ConversationStatus to)
    {
        var after = Lifecycle.Apply(Conversation(from), action, Now, SecondHuman);
        Assert.Equal(to == Closed ? Now : null, after.ClosedAt);
    }

    [Theory]
    [InlineData(Open, LifecycleAction.Handoff)]
    [InlineData(Waiting, LifecycleAction.Handoff)]
    [InlineData(Open, LifecycleAction.HumanAgentMessage)]
    [InlineData(Waiting, LifecycleAction.HumanAgentMessage)]
    public void TakingOverAssignsTheHuman(ConversationStatus from, LifecycleAction action) =>
        Assert.Equal(SecondHuman, Lifecycle.Apply(Conversation(from), action, Now, SecondHuman).AssignedTo);

    [Theory]
    [InlineData(LifecycleAction.HumanAgentMessage)]
    [InlineData(LifecycleAction.CustomerMessage)]
    [InlineData(LifecycleAction.SystemMessage)]
    public void SecondHumanWritingDoesNotStealTheConversation(LifecycleAction action) =>
        Assert.Equal(FirstHuman, Lifecycle.Apply(Conversation(Human), action, Now, SecondHuman).AssignedTo);

    [Theory]
    [InlineData(LifecycleAction.Resume)]
    [InlineData(LifecycleAction.Close)]
    public void LeavingHumanClearsAssignedTo(LifecycleAction action) =>
        Assert.Null(Lifecycle.Apply(Conversation(Human), action, Now).AssignedTo);

    [Theory]
    [InlineData(LifecycleAction.Handoff)]
    [InlineData(LifecycleAction.HumanAgentMessage)]
    public void TakingOverWithoutTheHumansIdIsAProgrammingError(LifecycleAction action) =>
        Assert.Throws<InvalidOperationException>(() => Lifecycle.Apply(Conversation(Open), action, Now, actor: null));

    [Fact]
    public void ChangeRecordsOneStatusChangeWithTheOldStatus()
    {
        var change = Lifecycle.Change(Conversation(Human), LifecycleAction.Resume, Now);
        Assert.Equal(Open, change.After.Status);
        Assert.Equal([new PendingEvent(ConversationEventType.StatusChanged, OldStatus: Human)], change.Events);
    }

    [Fact]
    public void ChangeOfARefusedTransitionThrows() =>
        Assert.Equal("CONVERSATION_CLOSED",
            Assert.Throws<TransitionRefusedException>(() => Lifecycle.Change(Conversation(Closed), LifecycleAction.Close, Now)).Reason);

    [Fact]
    public void AppendGivesTheNextSequenceAndRecordsTheLastMessage()
    {
        var before = Conversation(Open, lastSequence: 41);
        var (message, change) = Lifecycle.Append(before, Text(SenderType.AiAgent, content: "Hi!"), Now);

        Assert.Equal(42, message.Sequence);
        Assert.Equal((before.Id, SenderType.AiAgent, "Hi!", MessageType.Text, Now),
            (message.ConversationId, message.SenderType, message.Content, message.MessageType, message.CreatedAt));
        Assert.Equal(7, message.Id.Version);
        Assert.Equal(before with { LastSequence = 42, LastMessageAt = Now, LastSenderType = SenderType.AiAgent }, change.After);
    }

    [Fact]
    public void AppendedMessagesGetDistinctIds() =>
        Assert.NotEqual(Lifecycle.Append(Conversation(), Text(SenderType.Customer), Now).Message.Id,
            Lifecycle.Append(Conversation(), Text(SenderType.Customer), Now).Message.Id);

    [Theory]
    [InlineData(SenderType.Customer, null, "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a02")]
    [InlineData(SenderType.AiAgent, null, "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a01")]
    [InlineData(SenderType.System, null, null)]
    [InlineData(SenderType.Customer, "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6aff", "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6aff")]
    [InlineData(SenderType.HumanAgent, "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a04", "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a04")]
    public void AppendTakesTheSenderIdentityFromSenders(SenderType sender, string? given, string? expected)
    {
        var (message, _) = Lifecycle.Append(Conversation(Open), Text(sender, given is null ? null : Guid.Parse(given)), Now);
        Assert.Equal(expected is null ? null : Guid.Parse(expected), message.SenderId);
    }

    [Theory]
    [MemberData(nameof(AllowedMessages))]
    public void AppendMovesTheStatusAsTheTableSaysAndRecordsTheStatusChangeBeforeTheMessage(
        ConversationStatus from, LifecycleAction action, ConversationStatus to)
    {
        var (message, change) = Lifecycle.Append(Conversation(from), Text(Writers[action], SecondHuman), Now);
        Assert.Equal(to, change.After.Status);
        PendingEvent added = new(ConversationEventType.MessageAdded, MessageId: message.Id);
        PendingEvent[] expected = from == to ? [added] : [new PendingEvent(ConversationEventType.StatusChanged, OldStatus: from), added];
        Assert.Equal(expected, change.Events);
    }

    [Theory]
    [MemberData(nameof(RefusedMessages))]
    public void AppendIsRefusedAsTheTableSays(ConversationStatus from, LifecycleAction action, string reason) =>
        Assert.Equal(reason, Assert.Throws<TransitionRefusedException>(
            () => Lifecycle.Append(Conversation(from), Text(Writers[action], SecondHuman), Now)).Reason);

    [Fact]
    public void AiMessageIsRefusedWhileHumanOwnsConversation() =>
        Assert.Equal("HUMAN_OWNS_CONVERSATION", Assert.Throws<TransitionRefusedException>(
            () => Lifecycle.Append(Conversation(Human), Text(SenderType.AiAgent), Now)).Reason);

    private static TheoryData<T1, T2, T3> Filter<T1, T2, T3>(TheoryData<T1, T2, T3> rows, Func<object[], bool> keep)
    {
        var kept = new TheoryData<T1, T2, T3>();
        foreach (var row in rows.Where(keep))
        {
            kept.Add((T1)row[0], (T2)row[1], (T3)row[2]);
        }
        return kept;
    }
}
