namespace Timely.Server.Domain;

/// <summary>A conversation as stored. Immutable: changes produce a new record.</summary>
public sealed record Conversation(
    Guid Id,
    string Workspace,
    Guid AgentId,
    Guid ChannelId,
    Guid ContactId,
    ConversationStatus Status,
    Guid? AssignedTo,
    string Subject,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ClosedAt,
    DateTimeOffset? LastMessageAt,
    SenderType? LastSenderType,
    long LastSequence,
    long Version,
    IReadOnlyList<ReadHorizon>? ReadHorizons = null,
    long? UnreadCount = null)
{
    /// <summary>How far each participant has read (issue 21); <see cref="UnreadCount"/> is set only by a
    /// list that asked for one human agent's unread messages.</summary>
    public IReadOnlyList<ReadHorizon> Horizons => ReadHorizons ?? [];

    /// <summary>The etag clients send back for conditional writes (AIP-154).</summary>
    public string Etag => Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The context of the latest handoff, or null if never handed off.</summary>
    public HandoffContext? Handoff { get; init; }
}

/// <summary>One message of a conversation. Its sequence never changes; its content only by an edit (a new
/// <see cref="Revision"/>) or a redaction (a tombstone: <see cref="RedactedAt"/> set, content erased).</summary>
public sealed record Message(
    Guid Id,
    Guid ConversationId,
    long Sequence,
    SenderType SenderType,
    Guid? SenderId,
    string Content,
    MessageType MessageType,
    string MediaUrl,
    string MediaType,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset CreatedAt,
    MessageDelivery? Delivery = null,
    long Revision = 1,
    DateTimeOffset? EditedAt = null,
    DateTimeOffset? RedactedAt = null,
    Guid? RedactedBy = null)
{
    public MessageVisibility Visibility { get; init; } = MessageVisibility.Public;
}


/// <summary>One row of the append-only event log.</summary>
public sealed record ConversationEvent(
    EventPosition Position,
    ConversationEventType Type,
    DateTimeOffset OccurredAt,
    Conversation Conversation,
    ConversationStatus? OldStatus,
    ConversationStatus? NewStatus,
    Message? Message,
    EventDetails? Details = null)
{
    /// <summary>For the live-only <see cref="ConversationEventType.ReplyDraft"/> and <see cref="ConversationEventType.AgentActivity"/>.</summary>
    public LiveItem? Live { get; init; }
}


/// <summary>The place of an event in its workspace's log, ordered by (<see cref="Tx"/>, <see cref="Id"/>):
/// on PostgreSQL the id of the transaction that wrote it, then the event's own id (see
/// Storage/Postgres/PostgresDialect.cs for why); on SQLite, whose writers take turns, Tx is 0.</summary>
public readonly record struct EventPosition(long Tx, long Id) : IComparable<EventPosition>
{
    public int CompareTo(EventPosition other) => Tx != other.Tx ? Tx.CompareTo(other.Tx) : Id.CompareTo(other.Id);

    public static bool operator <(EventPosition a, EventPosition b) => a.CompareTo(b) < 0;
    public static bool operator >(EventPosition a, EventPosition b) => a.CompareTo(b) > 0;
    public static bool operator <=(EventPosition a, EventPosition b) => a.CompareTo(b) <= 0;
    public static bool operator >=(EventPosition a, EventPosition b) => a.CompareTo(b) >= 0;

    public static EventPosition Max(EventPosition a, EventPosition b) => a >= b ? a : b;
}

/// <summary>A message that matches a search: its relevance score (higher is better) and an excerpt
/// with each match between <see cref="MatchStart"/> and <see cref="MatchEnd"/>.</summary>
public sealed record MessageHit(Message Message, long Score, string Snippet)
{
    /// <summary>Private-use characters that mark where a match starts and ends in a snippet.</summary>
    public const char MatchStart = '\uE000';
    public const char MatchEnd = '\uE001';
}
