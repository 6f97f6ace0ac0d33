using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Timely.Conversations.V1;

namespace Timely.Client;

/// <summary>A webhook request of the Timely service, verified: its <see cref="Id"/> (the event's cursor, the same
/// on every retry: use it to drop duplicates), its <see cref="Type"/> ("conversation.message_added", ...,
/// or "webhook.test"), when it was sent, and the event (null for "webhook.test").</summary>
public sealed record TimelyWebhook(string Id, string Type, DateTimeOffset Timestamp, ConversationEvent? Event);

/// <summary>A webhook request that is not from the service, is stale, or is not a webhook of it.</summary>
public sealed class WebhookVerificationException(string message) : Exception(message);

/// <summary>Verifies the webhook requests of the Timely service by the Standard Webhooks specification
/// (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>: "v1," and the base64 HMAC-SHA256 of
/// "id.timestamp.body" under a "whsec_" secret) and reads their event. Give it every secret that may sign:
/// during a rotation, the new one and the previous one. A request is accepted when any of its signatures
/// matches any secret, and its timestamp is within <see cref="Tolerance"/> of now (replays are refused).</summary>
public sealed class WebhookVerifier
{
    private static readonly JsonParser Events = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private readonly IReadOnlyList<byte[]> keys;

    /// <param name="secrets">The endpoint's secrets, as CreateWebhookEndpoint or RotateWebhookSecret returned them ("whsec_...").</param>
    public WebhookVerifier(params string[] secrets)
    {
        keys = secrets.Select(Key).ToList();
        if (keys.Count == 0)
        {
            throw new ArgumentException("give at least one secret", nameof(secrets));
        }
    }

    /// <summary>How far the request's timestamp may be from now, either way. Five minutes by default.</summary>
    public TimeSpan Tolerance { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock the timestamp is compared with.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Verifies a request and reads its event; throws <see cref="WebhookVerificationException"/> when it
    /// must be refused (answer 400 or 401 then). <paramref name="body"/> is the request's body exactly as
    /// received; <paramref name="header"/> reads a request header by name, e.g. <c>name => request.Headers[name]</c>.</summary>
    public TimelyWebhook Verify(string body, Func<string, string?> header)
    {
        var id = Required(header, "webhook-id");
        var timestamp = Required(header, "webhook-timestamp");
        var signatures = Required(header, "webhook-signature");
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            throw new WebhookVerificationException($"webhook-timestamp '{timestamp}' is not Unix seconds");
        }
        var sent = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((Clock.GetUtcNow() - sent).Duration() > Tolerance)
        {
            throw new WebhookVerificationException($"webhook-timestamp {sent:O} is more than {Tolerance} from now");
        }
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");
        var expected = keys.Select(k => HMACSHA256.HashData(k, signed)).ToList();
        var matches = signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s.StartsWith("v1,", StringComparison.Ordinal))
            .Select(s => Decode(s[3..]))
            .Any(given => given is not null && expected.Any(e => CryptographicOperations.FixedTimeEquals(e, given)));
        if (!matches)
        {
            throw new WebhookVerificationException("no webhook-signature matches the body under the given secrets");
        }
        return Read(id, sent, body);
    }

    private static TimelyWebhook Read(string id, DateTimeOffset sent, string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var type = json.RootElement.GetProperty("type").GetString() ?? "";
            var data = json.RootElement.GetProperty("data");
            var e = data.EnumerateObject().Any() ? Events.Parse<ConversationEvent>(data.GetRawText()) : null;
            return new TimelyWebhook(id, type, sent, e);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidProtocolBufferException)
        {
            throw new WebhookVerificationException($"the body is not a Timely webhook: {e.Message}");
        }
    }

    private static string Required(Func<string, string?> header, string name) =>
        header(name) is { Length: > 0 } value ? value : throw new WebhookVerificationException($"the {name} header is missing");

    private static byte[] Key(string secret)
    {
        var encoded = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret;
        return Decode(encoded) ?? throw new ArgumentException("a webhook secret is \"whsec_\" and base64", nameof(secret));
    }

    private static byte[]? Decode(string base64)
    {
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var length) ? buffer[..length] : null;
    }
}
