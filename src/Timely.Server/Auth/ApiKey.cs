using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Timely.Server.Auth;

/// <summary>The workspace of the development key and of Auth:BootstrapAdminKey.</summary>
public static class Workspaces
{
    public const string Default = "default";
}

/// <summary>What a key may do. Each scope includes the ones below it.</summary>
public enum ApiKeyScope
{
    Read = 1,
    Write = 2,
    Admin = 3,
}

/// <summary>A key as stored: never the secret itself, only its hash. A key with an <see cref="AgentId"/>
/// belongs to that human agent (see <see cref="AgentBinding"/>). A <see cref="PublicOnly"/> key (a customer-facing
/// widget's backend) reads only public messages, whatever it asks, and cannot write internal notes.</summary>
public sealed record ApiKey(
    Guid Id, string Workspace, ApiKeyScope Scope, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, Guid? AgentId = null,
    bool PublicOnly = false);

/// <summary>Key secrets: 256 random bits behind a recognisable prefix, hashed with SHA-256 for storage
/// (a fast hash is right for high-entropy secrets; there is nothing to brute-force).</summary>
public static class ApiKeySecrets
{
    public const string Prefix = "tly_";

    public static string NewSecret() => Prefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The fewest characters a key may have (Auth:BootstrapAdminKey included): 32 characters of
    /// even a hex key are 128 bits. Generated keys have 47.</summary>
    public const int MinLength = 32;

    /// <summary>Enough of the key to recognise it in a list, too little to use it: the prefix and 6
    /// characters of a generated key, the first 6 of another; nothing of a secret shorter than
    /// <see cref="MinLength"/>, which may be all there is to guess.</summary>
    public static string Recognisable(string secret) => secret.Length < MinLength
        ? ""
        : secret[..((secret.StartsWith(Prefix, StringComparison.Ordinal) ? Prefix.Length : 0) + 6)];
}
