using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Timely.Server.Api;
using Timely.Server.Domain;

namespace Timely.Server.Webhooks;

/// <summary>What a webhook request says: its id (the event's cursor, the same on every retry and
/// redelivery) and its body, {"type", "timestamp", "data": the ConversationEvent in proto3 JSON}, as the
/// Standard Webhooks specification suggests.</summary>
public sealed class WebhookPayload(TokenCodec tokens)
{
    public const string TestType = "webhook.test";

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public string Id(string workspace, EventPosition position) => tokens.Cursor(workspace, position);

    public string Body(string workspace, ConversationEvent e) =>
        Envelope(TypeName(e.Type), e.OccurredAt, Json.Format(e.ToProto(Id(workspace, e.Position))));

    /// <summary>The body of SendTestWebhookEvent's request: no event, only its type.</summary>
    public static string TestBody(DateTimeOffset now) => Envelope(TestType, now, "{}");

    /// <summary>The body of a delivery whose event retention deleted after a redaction emptied its stored
    /// body (see EventLog.ScrubMessage): the type and the event's cursor, nothing of what it said.</summary>
    public string Deleted(string workspace, ConversationEventType type, EventPosition position, DateTimeOffset now) =>
        Envelope(TypeName(type), now, Json.Format(new Conversations.V1.ConversationEvent { Cursor = Id(workspace, position), Type = type.ToProto() }));

    /// <summary>"conversation.created", "conversation.status_changed", "conversation.updated", "conversation.message_added",
    /// "conversation.message_status_changed", "conversation.message_edited", "conversation.message_redacted",
    /// "conversation.read_horizon_changed", "conversation.erased".</summary>
    public static string TypeName(ConversationEventType type) => type switch
    {
        ConversationEventType.Created => "conversation.created",
        ConversationEventType.StatusChanged => "conversation.status_changed",
        ConversationEventType.Updated => "conversation.updated",
        ConversationEventType.MessageAdded => "conversation.message_added",
        ConversationEventType.Erased => "conversation.erased",
        ConversationEventType.MessageStatusChanged => "conversation.message_status_changed",
        ConversationEventType.MessageEdited => "conversation.message_edited",
        ConversationEventType.MessageRedacted => "conversation.message_redacted",
        ConversationEventType.ReadHorizonChanged => "conversation.read_horizon_changed",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an event type"),
    };

    private static string Envelope(string type, DateTimeOffset timestamp, string data)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("timestamp", timestamp.UtcDateTime);
            writer.WritePropertyName("data");
            writer.WriteRawValue(data);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
