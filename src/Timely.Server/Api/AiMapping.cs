using Google.Protobuf.WellKnownTypes;
using Domain = Timely.Server.Domain;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.Api;

/// <summary>The proto mapping of issue 17's types: visibility, handoff context, reply drafts, agent activity.</summary>
public static class AiMapping
{
    public static Proto.MessageVisibility ToProto(this Domain.MessageVisibility v) => v switch
    {
        Domain.MessageVisibility.Public => Proto.MessageVisibility.Public,
        Domain.MessageVisibility.Internal => Proto.MessageVisibility.Internal,
        _ => throw new ArgumentOutOfRangeException(nameof(v), v, null),
    };

    public static Proto.HandoffContext ToProto(this Domain.HandoffContext h) => new()
    {
        Reason = (Proto.HandoffReason)(int)h.Reason,
        Priority = (Proto.HandoffPriority)(int)h.Priority,
        Summary = h.Summary,
        HandedOffAt = Timestamp.FromDateTimeOffset(h.HandedOffAt),
    };

    public static Proto.ReplyDraft ToProto(this Domain.DraftUpdate d, Guid conversationId) => new()
    {
        ConversationId = conversationId.ToString(),
        DraftId = d.DraftId.ToString(),
        State = d.State switch
        {
            Domain.DraftState.Started => Proto.ReplyDraftState.Started,
            Domain.DraftState.Delta => Proto.ReplyDraftState.Delta,
            Domain.DraftState.Committed => Proto.ReplyDraftState.Committed,
            Domain.DraftState.Abandoned => Proto.ReplyDraftState.Abandoned,
            _ => throw new ArgumentOutOfRangeException(nameof(d), d.State, null),
        },
        Text = d.Text,
        Offset = d.Offset,
        SenderId = d.SenderId.ToString(),
        Sequence = d.Sequence,
        AbandonReason = d.AbandonReason switch
        {
            null => Proto.ReplyDraftAbandonReason.Unspecified,
            Domain.DraftAbandonReason.Cancelled => Proto.ReplyDraftAbandonReason.Cancelled,
            Domain.DraftAbandonReason.HandedOff => Proto.ReplyDraftAbandonReason.HandedOff,
            Domain.DraftAbandonReason.Closed => Proto.ReplyDraftAbandonReason.Closed,
            Domain.DraftAbandonReason.Idle => Proto.ReplyDraftAbandonReason.Idle,
            Domain.DraftAbandonReason.Refused => Proto.ReplyDraftAbandonReason.Refused,
            _ => throw new ArgumentOutOfRangeException(nameof(d), d.AbandonReason, null),
        },
        OccurredAt = Timestamp.FromDateTimeOffset(d.OccurredAt),
    };

    public static Proto.AgentActivity ToProto(this Domain.ActivityUpdate a, Guid conversationId) => new()
    {
        ConversationId = conversationId.ToString(),
        Kind = a.Kind switch
        {
            Domain.AgentActivityKind.Typing => Proto.AgentActivityKind.Typing,
            Domain.AgentActivityKind.Thinking => Proto.AgentActivityKind.Thinking,
            Domain.AgentActivityKind.Searching => Proto.AgentActivityKind.Searching,
            Domain.AgentActivityKind.None => Proto.AgentActivityKind.None,
            _ => throw new ArgumentOutOfRangeException(nameof(a), a.Kind, null),
        },
        SenderType = a.SenderType.ToProto(),
        SenderId = a.SenderId.ToString(),
        ExpiresAt = a.ExpiresAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
        OccurredAt = Timestamp.FromDateTimeOffset(a.OccurredAt),
    };

    public static Domain.AgentActivityKind? ToDomain(this Proto.AgentActivityKind k) => k switch
    {
        Proto.AgentActivityKind.Typing => Domain.AgentActivityKind.Typing,
        Proto.AgentActivityKind.Thinking => Domain.AgentActivityKind.Thinking,
        Proto.AgentActivityKind.Searching => Domain.AgentActivityKind.Searching,
        Proto.AgentActivityKind.None => Domain.AgentActivityKind.None,
        _ => null,
    };

    /// <summary>One StreamMessages item for a live item.</summary>
    public static Proto.StreamMessagesResponse ToStreamResponse(this Domain.LiveItem item) => new()
    {
        ReplyDraft = item.Draft?.ToProto(item.ConversationId),
        Activity = item.Activity?.ToProto(item.ConversationId),
    };

    /// <summary>Adds the live fields to an event of the live-only types.</summary>
    public static Proto.ConversationEvent WithLive(this Proto.ConversationEvent e, Domain.LiveItem? item)
    {
        if (item is not null)
        {
            e.ReplyDraft = item.Draft?.ToProto(item.ConversationId);
            e.Activity = item.Activity?.ToProto(item.ConversationId);
        }
        return e;
    }
}
