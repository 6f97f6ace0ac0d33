namespace Timely.Server.Domain;

// Issue 17: internal notes, handoff context, reply drafts and agent activity. The numeric values of
// the stored enums are what the database stores; never renumber them.

public enum MessageVisibility
{
    Public = 1,
    Internal = 2,
}

public enum HandoffReason
{
    Unspecified = 0,
    CustomerRequest = 1,
    LowConfidence = 2,
    Policy = 3,
    Sentiment = 4,
    Other = 5,
}

public enum HandoffPriority
{
    Low = 1,
    Normal = 2,
    High = 3,
    Urgent = 4,
}

/// <summary>What the AI agent said when it handed the conversation to a human.</summary>
public sealed record HandoffContext(HandoffReason Reason, HandoffPriority Priority, string Summary, DateTimeOffset HandedOffAt)
{
    /// <summary>UTF-8 bytes of a handoff summary.</summary>
    public const int MaxSummaryBytes = 4096;
}

public enum DraftState
{
    Started = 1,
    Delta = 2,
    Committed = 3,
    Abandoned = 4,
}

public enum DraftAbandonReason
{
    Cancelled = 1,
    HandedOff = 2,
    Closed = 3,
    Idle = 4,
    Refused = 5,
}

public enum AgentActivityKind
{
    Typing = 1,
    Thinking = 2,
    Searching = 3,
    None = 4,
}

/// <summary>One live update of a reply draft (see <see cref="DraftState"/>); never stored.</summary>
public sealed record DraftUpdate(
    Guid DraftId, DraftState State, string Text, long Offset, Guid SenderId, long Sequence, DraftAbandonReason? AbandonReason, DateTimeOffset OccurredAt);

/// <summary>An agent's activity in a conversation; <see cref="AgentActivityKind.None"/> ends it. Never stored.</summary>
public sealed record ActivityUpdate(AgentActivityKind Kind, SenderType SenderType, Guid SenderId, DateTimeOffset? ExpiresAt, DateTimeOffset OccurredAt);

/// <summary>A live-only item for the subscribers of one conversation: a draft update or an activity,
/// with the conversation as it was when the draft began or the activity was set.</summary>
public sealed record LiveItem(string Workspace, Conversation Conversation, DraftUpdate? Draft, ActivityUpdate? Activity)
{
    public Guid ConversationId => Conversation.Id;

    /// <summary>When not 0, the item is about the message with this sequence (a draft's COMMITTED, the end of
    /// an activity by a message): a conversation's stream delivers it after that message.</summary>
    public long AfterSequence { get; init; }

    /// <summary>The order in which this replica's hub saw the item (0 before): a subscriber that started from a
    /// snapshot skips the queued items the snapshot already holds.</summary>
    public long Stamp { get; init; }
}

/// <summary>A reply draft ended without a message because no text arrived in time (DEADLINE_EXCEEDED).</summary>
public sealed class DraftIdleException(string message) : Exception(message);
