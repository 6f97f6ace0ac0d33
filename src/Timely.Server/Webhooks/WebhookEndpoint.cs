using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Webhooks;

/// <summary>An endpoint as the API shows it: where to send which events. Its secrets and its delivery
/// position stay in <see cref="WebhookStore"/>.</summary>
public sealed record WebhookEndpoint(
    string Workspace,
    Guid Id,
    string Url,
    IReadOnlyList<ConversationEventType> EventTypes,
    EventFilter Filter,
    bool Enabled,
    string DisabledReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PreviousSecretUntil,
    long Version)
{
    /// <summary>True when the endpoint wants events of this type (every type when none is listed).</summary>
    public bool Wants(ConversationEventType type) => EventTypes.Count == 0 || EventTypes.Contains(type);
}

/// <summary>What an endpoint's deliverer needs: the endpoint, the secrets that sign (the previous one
/// only during its rotation window), and how far into the event log it has read.</summary>
public sealed record DeliveryTarget(WebhookEndpoint Endpoint, IReadOnlyList<string> Secrets, EventPosition Position);

/// <summary>One event's delivery to one endpoint. A redelivery records the event again, with a later
/// <paramref name="CreatedAt"/>: the event and that time name the record.</summary>
public sealed record WebhookDelivery(
    EventPosition Event,
    ConversationEventType EventType,
    Guid ConversationId,
    int Attempts,
    int LastStatus,
    string LastError,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset CreatedAt);

/// <summary>What one request to an endpoint came to.</summary>
public sealed record SendOutcome(int StatusCode, string Error)
{
    public bool Acknowledged => StatusCode is >= 200 and < 300;

    /// <summary>410 Gone: the receiver asks never to be called again.</summary>
    public bool Gone => StatusCode == 410;
}
