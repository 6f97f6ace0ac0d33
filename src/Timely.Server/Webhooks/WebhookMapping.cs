using Google.Protobuf.WellKnownTypes;
using Timely.Server.Api;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.Webhooks;

/// <summary>Endpoints and deliveries to their proto messages.</summary>
public static class WebhookMapping
{
    public static Proto.WebhookEndpoint ToProto(this WebhookEndpoint e)
    {
        var proto = new Proto.WebhookEndpoint
        {
            Id = e.Id.ToString(),
            Url = e.Url,
            AgentId = e.Filter.AgentId?.ToString() ?? "",
            ChannelId = e.Filter.ChannelId?.ToString() ?? "",
            ConversationId = e.Filter.ConversationId?.ToString() ?? "",
            Enabled = e.Enabled,
            DisabledReason = e.DisabledReason,
            CreateTime = Timestamp.FromDateTimeOffset(e.CreatedAt),
            UpdateTime = Timestamp.FromDateTimeOffset(e.UpdatedAt),
            PreviousSecretExpireTime = e.PreviousSecretUntil is { } until ? Timestamp.FromDateTimeOffset(until) : null,
            Etag = e.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        proto.EventTypes.AddRange(e.EventTypes.Select(t => t.ToProto()));
        proto.Statuses.AddRange(e.Filter.Statuses.Select(s => s.ToProto()));
        return proto;
    }

    public static Proto.WebhookDelivery ToProto(this WebhookDelivery d, string cursor) => new()
    {
        EventCursor = cursor,
        EventType = d.EventType.ToProto(),
        ConversationId = d.ConversationId.ToString(),
        Attempts = d.Attempts,
        LastStatusCode = d.LastStatus,
        LastError = d.LastError,
        NextAttemptTime = d.NextAttemptAt is { } next ? Timestamp.FromDateTimeOffset(next) : null,
        DeliveredTime = d.DeliveredAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
    };
}
