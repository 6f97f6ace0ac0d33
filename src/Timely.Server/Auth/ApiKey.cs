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

/// <summary>A key as stored: never the secret itself, only its hash.</summary>
public sealed record ApiKey(Guid Id, string Workspace, ApiKeyScope Scope, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Key secrets: 256 random bits behind a recognisable prefix, hashed with SHA-256 for storage
/// (a fast hash is right for high-entropy secrets; there is nothing to brute-force).</summary>
public static class ApiKeySecrets
{
    public const string Prefix = "tly_";

    public static string NewSecret() => Prefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Enough of the key to recognise it in a list, too little to use it.</summary>
    public static string Recognisable(string secret) => secret[..Math.Min(secret.Length, Prefix.Length + 6)];
}
