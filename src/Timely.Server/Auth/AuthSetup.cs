using System.Security.Claims;
using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.AspNetCore.RateLimiting;
using Timely.Server.Observability;

namespace Timely.Server.Auth;

public static class AuthPolicies
{
    public const string Read = "read";
    public const string Write = "write";
    public const string Admin = "admin";

    /// <summary>The rate-limiting policy of streaming calls: a cap on open streams per key.</summary>
    public const string Streams = "streams";
}

/// <summary>Configuration section "Limits".</summary>
public sealed class LimitOptions
{
    public const string Section = "Limits";

    /// <summary>Calls per second each key may make on average.</summary>
    public int RequestsPerSecond { get; set; } = 200;

    /// <summary>Calls a key may make at once above the average.</summary>
    public int Burst { get; set; } = 400;

    /// <summary>Streams a key may have open at once.</summary>
    public int MaxStreamsPerKey { get; set; } = 100;

    /// <summary>Failed authentications (unknown or revoked keys) per second one client address may make
    /// on average; past the burst, its calls with untrusted keys are refused before any lookup.</summary>
    public int FailedAuthenticationsPerSecond { get; set; } = 10;

    public int FailedAuthenticationsBurst { get; set; } = 100;
}

public static class AuthSetup
{
    /// <summary>API keys (authentication, read/write scopes), the development key, and per-key limits.</summary>
    public static IServiceCollection AddApiKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section))
            .Validate(o => o.KeyCacheTtl >= TimeSpan.Zero, "Auth:KeyCacheTtl must not be negative")
            .Validate(o => string.IsNullOrEmpty(o.BootstrapAdminKey) || o.BootstrapAdminKey.Length >= ApiKeySecrets.MinLength,
                $"Auth:BootstrapAdminKey must be at least {ApiKeySecrets.MinLength} characters of random text, such as the output of 'openssl rand -hex 16'")
            .ValidateOnStart();
        services.AddOptions<LimitOptions>().Bind(configuration.GetSection(LimitOptions.Section))
            .Validate(o => o.RequestsPerSecond > 0, "Limits:RequestsPerSecond must be positive")
            .Validate(o => o.Burst > 0, "Limits:Burst must be positive")
            .Validate(o => o.MaxStreamsPerKey > 0, "Limits:MaxStreamsPerKey must be positive")
            .Validate(o => o.FailedAuthenticationsPerSecond > 0 && o.FailedAuthenticationsBurst > 0,
                "Limits:FailedAuthenticationsPerSecond and Limits:FailedAuthenticationsBurst must be positive")
            .ValidateOnStart();
        services.AddMemoryCache();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<KeyRevocations>();
        services.AddSingleton<FailedAuthentications>();
        services.AddHostedService<DevelopmentKey>();
        services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Read, p => p.RequireAuthenticatedUser())
            .AddPolicy(AuthPolicies.Write, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, nameof(ApiKeyScope.Write), nameof(ApiKeyScope.Admin)))
            .AddPolicy(AuthPolicies.Admin, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, nameof(ApiKeyScope.Admin)));

        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var l = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(Partition(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = l.Burst,
                    TokensPerPeriod = l.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                });
            });
            o.AddPolicy<string, StreamCapPolicy>(AuthPolicies.Streams);
            o.OnRejected = (context, _) => Reject(context, LimitKind.Requests, "too many calls for this API key; retry later");
        });
        return services;
    }

    internal static ValueTask Reject(OnRejectedContext context, LimitKind limit, string message)
    {
        context.HttpContext.RequestServices.GetRequiredService<TimelyMetrics>().RateLimited(limit);
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) ? delay : TimeSpan.FromSeconds(1);
        return new ValueTask(ErrorResponse.WriteAsync(context.HttpContext, StatusCode.ResourceExhausted, message, ErrorResponse.RetryAfter(retryAfter)));
    }

    /// <summary>One budget per API key; callers without a valid key share one per address.</summary>
    internal static string Partition(HttpContext http) =>
        http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous:" + http.Connection.RemoteIpAddress;
}

/// <summary>The cap on streams a key has open at once: a concurrency limit held for the whole call.</summary>
public sealed class StreamCapPolicy(Microsoft.Extensions.Options.IOptions<LimitOptions> limits) : IRateLimiterPolicy<string>
{
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } =
        (context, _) => AuthSetup.Reject(context, LimitKind.Streams, "too many open streams for this API key; close one or retry later");

    public RateLimitPartition<string> GetPartition(HttpContext http) =>
        RateLimitPartition.GetConcurrencyLimiter(AuthSetup.Partition(http), _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = limits.Value.MaxStreamsPerKey,
            QueueLimit = 0,
        });
}
