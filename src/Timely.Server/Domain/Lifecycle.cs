namespace Timely.Server.Domain;

/// <summary>What can happen to a conversation's status.</summary>
public enum LifecycleAction
{
    Handoff,
    Resume,
    Close,
    MarkWaiting,
    Expire,
    CustomerMessage,
    AiAgentMessage,
    HumanAgentMessage,
    SystemMessage,
}

/// <summary>The one transition table of the conversation lifecycle. Every status change,
/// whatever its origin (an RPC, a message, the inactivity sweeper), is decided here.</summary>
public static class Lifecycle
{
    private const ConversationStatus Open = ConversationStatus.Open;
    private const ConversationStatus Human = ConversationStatus.Human;
    private const ConversationStatus Closed = ConversationStatus.Closed;
    private const ConversationStatus Waiting = ConversationStatus.Waiting;

    // (from, action) -> to. A pair that is not here is refused.
    private static readonly Dictionary<(ConversationStatus From, LifecycleAction Action), ConversationStatus> Transitions = new()
    {
        [(Open, LifecycleAction.Handoff)] = Human,
        [(Waiting, LifecycleAction.Handoff)] = Human,
        [(Human, LifecycleAction.Resume)] = Open,
        [(Open, LifecycleAction.Close)] = Closed,
        [(Human, LifecycleAction.Close)] = Closed,
        [(Waiting, LifecycleAction.Close)] = Closed,
        [(Open, LifecycleAction.MarkWaiting)] = Waiting,
        [(Waiting, LifecycleAction.Expire)] = Closed,

        // Messages. The AI never talks over a human; a human who writes takes over;
        // a customer reply wakes a waiting conversation; nothing lands in a closed one.
        [(Open, LifecycleAction.CustomerMessage)] = Open,
        [(Waiting, LifecycleAction.CustomerMessage)] = Open,
        [(Human, LifecycleAction.CustomerMessage)] = Human,
        [(Open, LifecycleAction.AiAgentMessage)] = Open,
        [(Waiting, LifecycleAction.AiAgentMessage)] = Waiting,
        [(Open, LifecycleAction.HumanAgentMessage)] = Human,
        [(Waiting, LifecycleAction.HumanAgentMessage)] = Human,
        [(Human, LifecycleAction.HumanAgentMessage)] = Human,
        [(Open, LifecycleAction.SystemMessage)] = Open,
        [(Waiting, LifecycleAction.SystemMessage)] = Waiting,
        [(Human, LifecycleAction.SystemMessage)] = Human,
    };

    /// <summary>Applies <paramref name="action"/> to <paramref name="conversation"/>, or throws
    /// <see cref="TransitionRefusedException"/>. <paramref name="actor"/> is the human taking over
    /// (handoff, human-agent message).</summary>
    public static Conversation Apply(Conversation conversation, LifecycleAction action, DateTimeOffset now, Guid? actor = null)
    {
        var from = conversation.Status;
        if (!Transitions.TryGetValue((from, action), out var to))
        {
            throw Refusal(from, action);
        }

        // assigned_to is set exactly while a human owns the conversation. A second human writing
        // in a conversation someone else owns does not steal it; a handoff reassigns it.
        var assignedTo = to switch
        {
            Human when action == LifecycleAction.Handoff => actor,
            Human when from != Human => actor,
            Human => conversation.AssignedTo,
            _ => null,
        };
        if (to == Human && assignedTo is null)
        {
            throw new InvalidOperationException($"{action} to human needs the human's id");
        }

        return conversation with
        {
            Status = to,
            AssignedTo = assignedTo,
            ClosedAt = to == Closed ? now : conversation.ClosedAt,
        };
    }

    /// <summary>A change whose only effect is the status transition of <paramref name="action"/>.</summary>
    public static ConversationChange Change(Conversation current, LifecycleAction action, DateTimeOffset now, Guid? actor = null) =>
        new(Apply(current, action, now, actor), [new PendingEvent(ConversationEventType.StatusChanged, current.Status)]);

    /// <summary>Appends a message to <paramref name="current"/>: the next sequence, the sender's identity,
    /// the message's lifecycle effect, and the events (a status change it causes comes first, so watchers
    /// see who owns the conversation before the message that landed in it).</summary>
    public static (Message Message, ConversationChange Change) Append(Conversation current, NewMessage n, DateTimeOffset now)
    {
        var senderId = Senders.Resolve(n.SenderType, n.SenderId, current);
        var message = new Message(n.Id, current.Id, current.LastSequence + 1, n.SenderType, senderId,
            n.Content, n.MessageType, n.MediaUrl, n.MediaType, n.Metadata, now) { Visibility = n.Visibility };
        if (n.Visibility == MessageVisibility.Internal)
        {
            // An internal note keeps its place in the sequence but moves neither status nor last_message_at;
            // nothing lands in a closed conversation.
            if (current.Status == Closed)
            {
                throw Refusal(Closed, MessageAction(n.SenderType));
            }
            return (message, new ConversationChange(current with { LastSequence = message.Sequence },
                [new PendingEvent(ConversationEventType.MessageAdded, MessageId: message.Id)]));
        }
        var transitioned = Apply(current, MessageAction(n.SenderType), now, senderId);
        var after = transitioned with { LastSequence = message.Sequence, LastMessageAt = now, LastSenderType = n.SenderType };
        List<PendingEvent> events = after.Status != current.Status
            ? [new PendingEvent(ConversationEventType.StatusChanged, current.Status), new PendingEvent(ConversationEventType.MessageAdded, MessageId: message.Id)]
            : [new PendingEvent(ConversationEventType.MessageAdded, MessageId: message.Id)];
        return (message, new ConversationChange(after, events));
    }

    private static LifecycleAction MessageAction(SenderType sender) => sender switch
    {
        SenderType.Customer => LifecycleAction.CustomerMessage,
        SenderType.AiAgent => LifecycleAction.AiAgentMessage,
        SenderType.HumanAgent => LifecycleAction.HumanAgentMessage,
        SenderType.System => LifecycleAction.SystemMessage,
        _ => throw new ArgumentOutOfRangeException(nameof(sender), sender, null),
    };

    private static TransitionRefusedException Refusal(ConversationStatus from, LifecycleAction action)
    {
        var status = from.ToString().ToLowerInvariant();
        var (reason, message) = (from, action) switch
        {
            (Closed, LifecycleAction.CustomerMessage or LifecycleAction.AiAgentMessage
                or LifecycleAction.HumanAgentMessage or LifecycleAction.SystemMessage) =>
                ("CONVERSATION_CLOSED", "the conversation is closed: nothing can be appended to it"),
            (Closed, _) => ("CONVERSATION_CLOSED", $"the conversation is closed: {Verb(action)} is not allowed"),
            (Human, LifecycleAction.AiAgentMessage) =>
                ("HUMAN_OWNS_CONVERSATION", "a human agent owns the conversation: the AI agent may not write"),
            _ => ("TRANSITION_NOT_ALLOWED", $"cannot {Verb(action)} a conversation that is {status}"),
        };
        return new TransitionRefusedException(reason, from, message);
    }

    private static string Verb(LifecycleAction action) => action switch
    {
        LifecycleAction.Handoff => "hand off",
        LifecycleAction.Resume => "resume",
        LifecycleAction.Close => "close",
        LifecycleAction.MarkWaiting => "mark waiting",
        LifecycleAction.Expire => "expire",
        _ => "append a message to",
    };
}
