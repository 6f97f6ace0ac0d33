namespace Timely.Server.DataLifecycle;

/// <summary>Why an erasure runs. The numbers are stored; never renumber them.</summary>
public enum ErasureReason
{
    /// <summary>EraseContact: every conversation of one contact.</summary>
    Contact = 1,

    /// <summary>The workspace's retention policy: conversations closed before <see cref="Erasure.ClosedBefore"/>.</summary>
    Retention = 2,
}

public enum ErasureState
{
    Running = 1,
    Succeeded = 2,
}

/// <summary>One erasure: what it erases, who asked and when, and how far it got. Also its audit
/// record: it holds counts, never erased content.</summary>
public sealed record Erasure(
    string Workspace,
    Guid Id,
    ErasureReason Reason,
    Guid? ContactId,
    DateTimeOffset? ClosedBefore,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    ErasureState State,
    long ConversationsErased,
    long MessagesErased,
    long EventsScrubbed,
    long RecordsErased)
{
    /// <summary>The "requested_by" of erasures the retention sweeper starts.</summary>
    public const string RetentionRequester = "retention";

    /// <summary>Whether a conversation (as read under its write lock) is one this erasure erases.</summary>
    public bool Matches(Domain.Conversation c) => Reason switch
    {
        ErasureReason.Contact => c.ContactId == ContactId,
        _ => c.Status == Domain.ConversationStatus.Closed && c.ClosedAt < ClosedBefore,
    };
}

/// <summary>A workspace's retention rule: closed conversations are erased this many days after closing; 0 is off.</summary>
public sealed record RetentionPolicy(string Workspace, int ClosedConversationDays, DateTimeOffset? UpdatedAt)
{
    public const int MaxDays = 36_500;
}
