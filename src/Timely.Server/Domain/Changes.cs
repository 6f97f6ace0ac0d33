namespace Timely.Server.Domain;

// What the API asks the store to write, and what a write returns. The store persists these; the
// rules that shape them (lifecycle, sender identity, sequences) live in Lifecycle and Senders.

public sealed record NewConversation(string Workspace, Guid AgentId, Guid ChannelId, Guid ContactId, string Subject, IReadOnlyList<string> Tags);

/// <summary>A message to append. <see cref="SenderId"/> may be null where <see cref="Senders"/> supplies it.</summary>
public sealed record NewMessage(
    SenderType SenderType,
    Guid? SenderId,
    string Content,
    MessageType MessageType,
    string MediaUrl,
    string MediaType,
    IReadOnlyDictionary<string, string> Metadata)
{
    public MessageVisibility Visibility { get; init; } = MessageVisibility.Public;

    /// <summary>The message's id (UUIDv7, time-ordered), minted with the request: not in the write, where on SQLite the
    /// random bytes would be a system call per message on the single writer's thread (bench/README.md, 2026-12-04
    /// (afternoon)). Its time is the request's, a few milliseconds before the message's <c>created_at</c>.</summary>
    public Guid Id { get; init; } = Guid.CreateVersion7();
}

public sealed record InboundMessage(string Workspace, Guid ChannelId, Guid ContactId, Guid AgentId, string? ExternalId, NewMessage Message);

/// <summary>An AIP-155 request id and a fingerprint of the request it came with.</summary>
public sealed record IdempotencyKey(string RequestId, string Fingerprint);

/// <summary>The new state of a conversation and the events that explain it (none: nothing changed).</summary>
public sealed record ConversationChange(Conversation After, IReadOnlyList<PendingEvent> Events)
{
    public static ConversationChange None(Conversation current) => new(current, []);
}

/// <summary>An event to append, with the conversation as it is after the change.</summary>
public sealed record PendingEvent(ConversationEventType Type, ConversationStatus? OldStatus = null, Guid? MessageId = null, EventDetails? Details = null);

public sealed record AppendResult(Message Message, Conversation Conversation, bool Duplicate);

public sealed record IngestResult(Message Message, Conversation Conversation, bool ConversationCreated, bool Duplicate);
