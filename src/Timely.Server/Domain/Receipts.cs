namespace Timely.Server.Domain;

// Issue 21: what happened to a message after it was written (delivery receipts, edits, redaction)
// and how far each participant has read. The rules live here; Storage/ReceiptStore persists them.

/// <summary>What the channel reported about an outbound message. The numbers are stored; never renumber.</summary>
public enum DeliveryStatus
{
    None = 0,
    Sent = 1,
    Delivered = 2,
    Read = 3,
    Failed = 4,
}

/// <summary>Who reads a conversation. The numbers are stored; never renumber.</summary>
public enum ReadParticipant
{
    Contact = 1,
    AiAgent = 2,
    HumanAgent = 3,
}

/// <summary>A message's delivery state: its status and the time the channel gave for each step.</summary>
public sealed record MessageDelivery(
    DeliveryStatus Status,
    DateTimeOffset? SentAt,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? ReadAt,
    DateTimeOffset? FailedAt,
    string Error,
    string? ExternalId)
{
    public static readonly MessageDelivery Nothing = new(DeliveryStatus.None, null, null, null, null, "", null);
}

/// <summary>Every message up to <see cref="ReadSequence"/> is read by the participant.</summary>
public sealed record ReadHorizon(ReadParticipant Participant, Guid ParticipantId, long ReadSequence, DateTimeOffset ReadAt);

/// <summary>One revision of a message: the original (1) or an edit.</summary>
public sealed record MessageRevision(long Revision, string Content, SenderType EditorType, Guid? EditorId, DateTimeOffset CreatedAt);

/// <summary>What an event of the receipt types adds to the log row (never message text).</summary>
public sealed record EventDetails(DeliveryStatus? Status = null, long? Revision = null, ReadHorizon? Horizon = null);

/// <summary>Who redacts: the API key's id, whether it is an admin key, and the human agent it is bound to.</summary>
public sealed record Redactor(Guid KeyId, bool Admin, Guid? Agent);

/// <summary>The rules of receipts, horizons, edits and redactions.</summary>
public static class Receipts
{
    /// <summary>Revisions a message may have (the original counts); an edit past them is refused.</summary>
    public const int MaxRevisions = 100;

    /// <summary>Human agents whose horizons a conversation lists (the most recent readers); the
    /// read_horizons table keeps every one, so unread counts stay exact.</summary>
    public const int MaxListedHumanHorizons = 32;

    /// <summary>The most horizons a conversation lists: the contact, the AI agent and the human agents.</summary>
    public const int MaxListedHorizons = MaxListedHumanHorizons + 2;

    public const int MaxDeliveryErrorLength = 1024;

    /// <summary>Only messages agents wrote go out through a channel and get receipts.</summary>
    public static bool IsOutbound(SenderType sender) => sender is SenderType.AiAgent or SenderType.HumanAgent;

    /// <summary>The delivery after a report, or null when the report changes nothing: statuses only move
    /// forward (SENT, DELIVERED, READ), FAILED only before DELIVERED, and nothing follows FAILED. So a
    /// repeated, late or out-of-order report is ignored, whatever order reports arrive in.</summary>
    public static MessageDelivery? Report(MessageDelivery current, DeliveryStatus status, string error, DateTimeOffset at)
    {
        var moves = current.Status switch
        {
            DeliveryStatus.Failed => false,
            _ when status == DeliveryStatus.Failed => current.Status is DeliveryStatus.None or DeliveryStatus.Sent,
            _ => status > current.Status,
        };
        if (!moves)
        {
            return null;
        }
        return status switch
        {
            DeliveryStatus.Sent => current with { Status = status, SentAt = at },
            DeliveryStatus.Delivered => current with { Status = status, DeliveredAt = at },
            DeliveryStatus.Read => current with { Status = status, ReadAt = at },
            DeliveryStatus.Failed => current with { Status = status, FailedAt = at, Error = error },
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
        };
    }

    /// <summary>The id a participant reads as: the contact and the AI agent are the conversation's own;
    /// a human agent is named.</summary>
    public static Guid ParticipantId(Conversation c, ReadParticipant participant, Guid? humanAgent) => participant switch
    {
        ReadParticipant.Contact => c.ContactId,
        ReadParticipant.AiAgent => c.AgentId,
        ReadParticipant.HumanAgent => humanAgent ?? throw new ArgumentNullException(nameof(humanAgent)),
        _ => throw new ArgumentOutOfRangeException(nameof(participant), participant, null),
    };

    /// <summary>The horizons a conversation lists after <paramref name="moved"/>: one per participant, the
    /// contact and AI agent first, then at most <see cref="MaxListedHumanHorizons"/> human agents, the
    /// most recent readers first.</summary>
    public static IReadOnlyList<ReadHorizon> Listed(IReadOnlyList<ReadHorizon> current, ReadHorizon moved)
    {
        var others = current.Where(h => !(h.Participant == moved.Participant && h.ParticipantId == moved.ParticipantId)).Append(moved).ToList();
        return others.Where(h => h.Participant != ReadParticipant.HumanAgent).OrderBy(h => h.Participant)
            .Concat(others.Where(h => h.Participant == ReadParticipant.HumanAgent).OrderByDescending(h => h.ReadAt)
                .ThenBy(h => h.ParticipantId).Take(MaxListedHumanHorizons))
            .ToList();
    }

    /// <summary>Refuses an edit the rules do not allow: only AI-agent and human-agent messages, not once
    /// redacted, by the AI agent only its own, by a human agent AI-agent messages and their own, at most
    /// <see cref="MaxRevisions"/> revisions; a stale <paramref name="expectedRevision"/> is ABORTED.</summary>
    public static void CheckEdit(Conversation c, Message m, SenderType editor, Guid editorId, long? expectedRevision)
    {
        if (m.RedactedAt is not null)
        {
            throw new TransitionRefusedException("MESSAGE_REDACTED", c.Status, $"message {m.Id} is redacted: it cannot be edited");
        }
        if (!IsOutbound(m.SenderType))
        {
            throw new TransitionRefusedException("MESSAGE_NOT_EDITABLE", c.Status,
                $"message {m.Id} was written by {Name(m.SenderType)}: only AI-agent and human-agent messages can be edited");
        }
        var allowed = editor switch
        {
            SenderType.AiAgent => m.SenderType == SenderType.AiAgent,
            SenderType.HumanAgent => m.SenderType == SenderType.AiAgent || m.SenderId == editorId,
            _ => false,
        };
        if (!allowed)
        {
            throw new PermissionDeniedException("NOT_MESSAGE_WRITER",
                $"{Name(editor)} {editorId} may not edit message {m.Id} of {Name(m.SenderType)} {m.SenderId}: " +
                "the AI agent edits its own messages, a human agent AI-agent messages and their own");
        }
        if (expectedRevision is { } expected && expected != m.Revision)
        {
            throw new EtagMismatchException($"revision {expected} is stale: message {m.Id} is at revision {m.Revision}; read it again and retry");
        }
        if (m.Revision >= MaxRevisions)
        {
            throw new TransitionRefusedException("TOO_MANY_REVISIONS", c.Status, $"message {m.Id} has {m.Revision} revisions, the most a message may have");
        }
        if (m.MessageType == MessageType.Text && string.IsNullOrWhiteSpace(m.Content))
        {
            // Unreachable through the API (text messages have content); kept for the invariant.
            throw new InvalidOperationException("a text message without content");
        }
    }

    /// <summary>Refuses a redaction by a key that is neither an admin key nor the writer's: a key bound to
    /// a human agent redacts that agent's messages; another write key (an agent backend) AI-agent messages.</summary>
    public static void CheckRedact(Message m, Redactor by)
    {
        var writer = by.Agent is { } agent
            ? m.SenderType == SenderType.HumanAgent && m.SenderId == agent
            : m.SenderType == SenderType.AiAgent;
        if (!by.Admin && !writer)
        {
            throw new PermissionDeniedException("NOT_MESSAGE_WRITER",
                $"message {m.Id} was written by {Name(m.SenderType)}: only an admin key or the writer's key may redact it");
        }
    }

    /// <summary>The automatic subject <paramref name="m"/> would have given its conversation (a customer message
    /// that opened it: its first line), or null. Redacting the message erases that subject wherever it is kept,
    /// also where a later UpdateConversation replaced it (the event log's snapshots from before).</summary>
    public static string? SubjectFrom(Message m) =>
        m.SenderType == SenderType.Customer && Limits.AutoSubject(m.Content) is { Length: > 0 } subject ? subject : null;

    private static string Name(SenderType s) => s switch
    {
        SenderType.Customer => "the customer",
        SenderType.AiAgent => "the AI agent",
        SenderType.HumanAgent => "human agent",
        _ => "the system",
    };
}
