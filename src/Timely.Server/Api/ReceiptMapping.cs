using Google.Protobuf.WellKnownTypes;
using Domain = Timely.Server.Domain;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.Api;

/// <summary>Issue 21's part of the proto mapping: delivery state, revisions, tombstones, read horizons,
/// and the details of the receipt events. <see cref="ProtoMapping"/> calls it for messages, conversations
/// and events.</summary>
public static class ReceiptMapping
{
    public static void AddReceipts(this Proto.Message proto, Domain.Message m)
    {
        if (m.Delivery is { } d)
        {
            proto.DeliveryStatus = d.Status.ToProto();
            proto.SentAt = Time(d.SentAt);
            proto.DeliveredAt = Time(d.DeliveredAt);
            proto.ReadAt = Time(d.ReadAt);
            proto.FailedAt = Time(d.FailedAt);
            proto.DeliveryError = d.Error;
            proto.ExternalId = d.ExternalId ?? "";
        }
        proto.Revision = m.Revision;
        proto.EditedAt = Time(m.EditedAt);
        proto.Redacted = m.RedactedAt is not null;
        proto.RedactedAt = Time(m.RedactedAt);
        proto.RedactedBy = m.RedactedBy?.ToString() ?? "";
    }

    public static void AddReceipts(this Proto.Conversation proto, Domain.Conversation c)
    {
        proto.ReadHorizons.AddRange(c.Horizons.Select(h => h.ToProto()));
        proto.UnreadCount = c.UnreadCount ?? 0;
    }

    public static void AddReceipts(this Proto.ConversationEvent proto, Domain.ConversationEvent e)
    {
        if (e.Details is not { } d)
        {
            return;
        }
        proto.DeliveryStatus = d.Status?.ToProto() ?? Proto.DeliveryStatus.Unspecified;
        proto.Revision = d.Revision ?? 0;
        proto.ReadHorizon = d.Horizon?.ToProto();
    }

    public static Proto.ReadHorizon ToProto(this Domain.ReadHorizon h) => new()
    {
        ParticipantType = h.Participant.ToProto(),
        ParticipantId = h.ParticipantId.ToString(),
        ReadSequence = h.ReadSequence,
        ReadAt = Timestamp.FromDateTimeOffset(h.ReadAt),
    };

    public static Proto.MessageRevision ToProto(this Domain.MessageRevision r) => new()
    {
        Revision = r.Revision,
        Content = r.Content,
        EditorType = r.EditorType.ToProto(),
        EditorId = r.EditorId?.ToString() ?? "",
        CreateTime = Timestamp.FromDateTimeOffset(r.CreatedAt),
    };

    public static Proto.DeliveryStatus ToProto(this Domain.DeliveryStatus s) => s switch
    {
        Domain.DeliveryStatus.None => Proto.DeliveryStatus.Unspecified,
        Domain.DeliveryStatus.Sent => Proto.DeliveryStatus.Sent,
        Domain.DeliveryStatus.Delivered => Proto.DeliveryStatus.Delivered,
        Domain.DeliveryStatus.Read => Proto.DeliveryStatus.Read,
        Domain.DeliveryStatus.Failed => Proto.DeliveryStatus.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    /// <summary>Null for UNSPECIFIED and for numbers the contract does not define.</summary>
    public static Domain.DeliveryStatus? ToDomain(this Proto.DeliveryStatus s) => s switch
    {
        Proto.DeliveryStatus.Sent => Domain.DeliveryStatus.Sent,
        Proto.DeliveryStatus.Delivered => Domain.DeliveryStatus.Delivered,
        Proto.DeliveryStatus.Read => Domain.DeliveryStatus.Read,
        Proto.DeliveryStatus.Failed => Domain.DeliveryStatus.Failed,
        _ => null,
    };

    public static Proto.ReadParticipantType ToProto(this Domain.ReadParticipant p) => p switch
    {
        Domain.ReadParticipant.Contact => Proto.ReadParticipantType.Contact,
        Domain.ReadParticipant.AiAgent => Proto.ReadParticipantType.AiAgent,
        Domain.ReadParticipant.HumanAgent => Proto.ReadParticipantType.HumanAgent,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    /// <summary>Null for UNSPECIFIED and for numbers the contract does not define.</summary>
    public static Domain.ReadParticipant? ToDomain(this Proto.ReadParticipantType p) => p switch
    {
        Proto.ReadParticipantType.Contact => Domain.ReadParticipant.Contact,
        Proto.ReadParticipantType.AiAgent => Domain.ReadParticipant.AiAgent,
        Proto.ReadParticipantType.HumanAgent => Domain.ReadParticipant.HumanAgent,
        _ => null,
    };

    private static Timestamp? Time(DateTimeOffset? t) => t is { } value ? Timestamp.FromDateTimeOffset(value) : null;
}
