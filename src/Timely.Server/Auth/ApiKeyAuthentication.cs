using System.Security.Claims;
using System.Text.Encodings.Web;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Observability;
using Timely.Server.Storage;

namespace Timely.Server.Auth;

/// <summary>Authenticates `authorization: Bearer &lt;key&gt;` (or `x-api-key: &lt;key&gt;`, the header of
/// Timely's REST API): the same headers work over gRPC, grpc-web and HTTP/JSON.</summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyStore keys, IMemoryCache cache, FailedAuthentications failures, IOptions<AuthOptions> authOptions, TimelyMetrics metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string WorkspaceClaim = "workspace";
    public const string ScopeClaim = "scope";
    public const string AgentClaim = "agent";
    public const string PublicOnlyClaim = "public_only";
    private const string UnavailableItem = "timely.auth.unavailable";
    private const string ThrottledItem = "timely.auth.throttled";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = ReadKey(Request.Headers);
        if (secret is null)
        {
            return AuthenticateResult.NoResult();
        }
        // Revocation reaches every replica within the cache's time to live. Only keys that work are
        // cached: unknown ones spend their address's budget of failures instead.
        var ttl = authOptions.Value.KeyCacheTtl;
        var cacheKey = "api-key:" + ApiKeySecrets.Hash(secret);
        if (ttl == TimeSpan.Zero || !cache.TryGetValue(cacheKey, out ApiKey? key) || key is null)
        {
            var address = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (failures.RetryAfter(address) is { } retryAfter)
            {
                Context.Items[ThrottledItem] = retryAfter;
                metrics.RateLimited(LimitKind.FailedAuthentications);
                return AuthenticateResult.Fail("too many failed authentications from this address");
            }
            try
            {
                key = await keys.FindAsync(secret, Context.RequestAborted);
            }
            catch (StoreUnavailableException e)
            {
                Context.Items[UnavailableItem] = true;
                return AuthenticateResult.Fail(e);
            }
            if (key is null)
            {
                failures.Record(address);
                return AuthenticateResult.Fail("unknown or revoked API key");
            }
            if (ttl > TimeSpan.Zero)
            {
                cache.Set(cacheKey, key, ttl);
            }
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, key.Id.ToString()),
            new Claim(WorkspaceClaim, key.Workspace),
            new Claim(ScopeClaim, key.Scope.ToString()),
            .. key.AgentId is { } agent ? [new Claim(AgentClaim, agent.ToString())] : Array.Empty<Claim>(),
            .. key.PublicOnly ? [new Claim(PublicOnlyClaim, "true")] : Array.Empty<Claim>(),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Context.Items.TryGetValue(ThrottledItem, out var throttled) && throttled is TimeSpan retryAfter
            ? ErrorResponse.WriteAsync(Context, StatusCode.ResourceExhausted, "too many failed authentications from this address; retry later",
                ErrorResponse.RetryAfter(retryAfter))
        : Context.Items.ContainsKey(UnavailableItem)
            ? ErrorResponse.WriteAsync(Context, StatusCode.Unavailable, "the database is unavailable; retry later", ErrorResponse.RetryAfter(TimeSpan.FromSeconds(1)))
            : ErrorResponse.WriteAsync(Context, StatusCode.Unauthenticated, ReadKey(Request.Headers) is null
                ? "missing API key: send the metadata 'authorization: Bearer <key>'"
                : "unknown or revoked API key");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorResponse.WriteAsync(Context, StatusCode.PermissionDenied, "this API key's scope does not allow this call");

    private static string? ReadKey(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim() is { Length: > 0 } bearer ? bearer : null;
        }
        return headers["x-api-key"].ToString().Trim() is { Length: > 0 } apiKey ? apiKey : null;
    }
}

/// <summary>Configuration section "Auth".</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>How long a checked key is trusted before it is looked up again (bounds how late a revocation bites).</summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>When set, this key is registered at start-up as an admin key of the default workspace.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>On the embedded store with no key at all, create a development admin key and write it to the data folder.</summary>
    public bool CreateDevelopmentKey { get; set; } = true;
}
