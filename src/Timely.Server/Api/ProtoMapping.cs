using Google.Protobuf.WellKnownTypes;
using Domain = Timely.Server.Domain;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.Api;

/// <summary>The one mapping between the proto contract and the domain. The numeric values of the
/// domain enums equal the proto ones, but each conversion is spelled out so neither side can drift.</summary>
public static class ProtoMapping
{
    public static Proto.Conversation ToProto(this Domain.Conversation c)
    {
        var proto = new Proto.Conversation
        {
            Id = c.Id.ToString(),
            AgentId = c.AgentId.ToString(),
            ChannelId = c.ChannelId.ToString(),
            ContactId = c.ContactId == Guid.Empty ? "" : c.ContactId.ToString(),   // empty in an erased conversation's tombstone
            Status = c.Status.ToProto(),
            AssignedTo = c.AssignedTo?.ToString() ?? "",
            Subject = c.Subject,
            CreatedAt = Timestamp.FromDateTimeOffset(c.CreatedAt),
            ClosedAt = c.ClosedAt is { } closed ? Timestamp.FromDateTimeOffset(closed) : null,
            LastMessageAt = c.LastMessageAt is { } last ? Timestamp.FromDateTimeOffset(last) : null,
            Etag = c.Etag,
            LastSequence = c.LastSequence,
            Handoff = c.Handoff?.ToProto(),
        };
        proto.Tags.AddRange(c.Tags);
        proto.AddReceipts(c);
        return proto;
    }

    public static Proto.Message ToProto(this Domain.Message m)
    {
        var proto = new Proto.Message
        {
            Id = m.Id.ToString(),
            ConversationId = m.ConversationId.ToString(),
            Sequence = m.Sequence,
            SenderType = m.SenderType.ToProto(),
            SenderId = m.SenderId?.ToString() ?? "",
            Content = m.Content,
            MessageType = m.MessageType.ToProto(),
            MediaUrl = m.MediaUrl,
            MediaType = m.MediaType,
            CreatedAt = Timestamp.FromDateTimeOffset(m.CreatedAt),
            Visibility = m.Visibility.ToProto(),
        };
        foreach (var (key, value) in m.Metadata)
        {
            proto.Metadata[key] = value;
        }
        proto.AddReceipts(m);
        return proto;
    }

    public static Proto.MessageHit ToProto(this Domain.MessageHit h) => new()
    {
        ConversationId = h.Message.ConversationId.ToString(),
        MessageId = h.Message.Id.ToString(),
        Sequence = h.Message.Sequence,
        Snippet = Snippets.ToHtml(h.Snippet),
        Message = h.Message.ToProto(),
    };

    public static Proto.ConversationEvent ToProto(this Domain.ConversationEvent e, string cursor)
    {
        var proto = new Proto.ConversationEvent
        {
            Cursor = cursor,
            Type = e.Type.ToProto(),
            OccurredAt = Timestamp.FromDateTimeOffset(e.OccurredAt),
            Conversation = e.Conversation.ToProto(),
            OldStatus = e.OldStatus?.ToProto() ?? Proto.ConversationStatus.Unspecified,
            NewStatus = e.NewStatus?.ToProto() ?? Proto.ConversationStatus.Unspecified,
            Message = e.Message?.ToProto(),
        };
        proto.AddReceipts(e);
        return proto.WithLive(e.Live);
    }

    public static Proto.ConversationEventType ToProto(this Domain.ConversationEventType t) => t switch
    {
        Domain.ConversationEventType.Created => Proto.ConversationEventType.Created,
        Domain.ConversationEventType.StatusChanged => Proto.ConversationEventType.StatusChanged,
        Domain.ConversationEventType.Updated => Proto.ConversationEventType.Updated,
        Domain.ConversationEventType.MessageAdded => Proto.ConversationEventType.MessageAdded,
        Domain.ConversationEventType.ReplyDraft => Proto.ConversationEventType.ReplyDraft,
        Domain.ConversationEventType.AgentActivity => Proto.ConversationEventType.AgentActivity,
        Domain.ConversationEventType.Erased => Proto.ConversationEventType.Erased,
        Domain.ConversationEventType.MessageStatusChanged => Proto.ConversationEventType.MessageStatusChanged,
        Domain.ConversationEventType.MessageEdited => Proto.ConversationEventType.MessageEdited,
        Domain.ConversationEventType.MessageRedacted => Proto.ConversationEventType.MessageRedacted,
        Domain.ConversationEventType.ReadHorizonChanged => Proto.ConversationEventType.ReadHorizonChanged,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    public static Domain.ConversationEventType? ToDomain(this Proto.ConversationEventType t) => t switch
    {
        Proto.ConversationEventType.Created => Domain.ConversationEventType.Created,
        Proto.ConversationEventType.StatusChanged => Domain.ConversationEventType.StatusChanged,
        Proto.ConversationEventType.Updated => Domain.ConversationEventType.Updated,
        Proto.ConversationEventType.MessageAdded => Domain.ConversationEventType.MessageAdded,
        Proto.ConversationEventType.Erased => Domain.ConversationEventType.Erased,
        Proto.ConversationEventType.MessageStatusChanged => Domain.ConversationEventType.MessageStatusChanged,
        Proto.ConversationEventType.MessageEdited => Domain.ConversationEventType.MessageEdited,
        Proto.ConversationEventType.MessageRedacted => Domain.ConversationEventType.MessageRedacted,
        Proto.ConversationEventType.ReadHorizonChanged => Domain.ConversationEventType.ReadHorizonChanged,
        _ => null,
    };

    public static Proto.ConversationStatus ToProto(this Domain.ConversationStatus s) => s switch
    {
        Domain.ConversationStatus.Open => Proto.ConversationStatus.Open,
        Domain.ConversationStatus.Human => Proto.ConversationStatus.Human,
        Domain.ConversationStatus.Closed => Proto.ConversationStatus.Closed,
        Domain.ConversationStatus.Waiting => Proto.ConversationStatus.Waiting,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    /// <summary>Null for UNSPECIFIED and for numbers the contract does not define.</summary>
    public static Domain.ConversationStatus? ToDomain(this Proto.ConversationStatus s) => s switch
    {
        Proto.ConversationStatus.Open => Domain.ConversationStatus.Open,
        Proto.ConversationStatus.Human => Domain.ConversationStatus.Human,
        Proto.ConversationStatus.Closed => Domain.ConversationStatus.Closed,
        Proto.ConversationStatus.Waiting => Domain.ConversationStatus.Waiting,
        _ => null,
    };

    public static Proto.SenderType ToProto(this Domain.SenderType s) => s switch
    {
        Domain.SenderType.Customer => Proto.SenderType.Customer,
        Domain.SenderType.AiAgent => Proto.SenderType.AiAgent,
        Domain.SenderType.HumanAgent => Proto.SenderType.HumanAgent,
        Domain.SenderType.System => Proto.SenderType.System,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    /// <summary>Null for UNSPECIFIED and for numbers the contract does not define.</summary>
    public static Domain.SenderType? ToDomain(this Proto.SenderType s) => s switch
    {
        Proto.SenderType.Customer => Domain.SenderType.Customer,
        Proto.SenderType.AiAgent => Domain.SenderType.AiAgent,
        Proto.SenderType.HumanAgent => Domain.SenderType.HumanAgent,
        Proto.SenderType.System => Domain.SenderType.System,
        _ => null,
    };

    public static Proto.MessageType ToProto(this Domain.MessageType t) => t switch
    {
        Domain.MessageType.Text => Proto.MessageType.Text,
        Domain.MessageType.Image => Proto.MessageType.Image,
        Domain.MessageType.Audio => Proto.MessageType.Audio,
        Domain.MessageType.Video => Proto.MessageType.Video,
        Domain.MessageType.Document => Proto.MessageType.Document,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    /// <summary>UNSPECIFIED means text; null for numbers the contract does not define.</summary>
    public static Domain.MessageType? ToDomain(this Proto.MessageType t) => t switch
    {
        Proto.MessageType.Unspecified or Proto.MessageType.Text => Domain.MessageType.Text,
        Proto.MessageType.Image => Domain.MessageType.Image,
        Proto.MessageType.Audio => Domain.MessageType.Audio,
        Proto.MessageType.Video => Domain.MessageType.Video,
        Proto.MessageType.Document => Domain.MessageType.Document,
        _ => null,
    };
}
