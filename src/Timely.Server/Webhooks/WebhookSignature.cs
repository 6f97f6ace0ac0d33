using System.Security.Cryptography;
using System.Text;

namespace Timely.Server.Webhooks;

/// <summary>Secrets and signatures of the Standard Webhooks specification: a secret is "whsec_" and the
/// base64 of its key; a signature is "v1," and the base64 HMAC-SHA256 of "id.timestamp.body".</summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The webhook-signature header: one "v1,..." per secret, separated by spaces.</summary>
    public static string Header(IEnumerable<string> secrets, string id, long timestamp, string body) =>
        string.Join(' ', secrets.Select(s => Sign(s, id, timestamp, body)));

    public static string Sign(string secret, string id, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }
}
