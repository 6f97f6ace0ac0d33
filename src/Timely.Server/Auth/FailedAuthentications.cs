using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Timely.Server.Auth;

/// <summary>A budget of failed authentications per client address (a token bucket each). Authentication
/// runs before the per-key rate limiter, so without it a flood of random keys would cost a lookup each;
/// past the budget, an address's calls with a key that is not already trusted are refused with
/// RESOURCE_EXHAUSTED before any lookup. Keys that work never spend the budget.</summary>
public sealed class FailedAuthentications(IOptions<LimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> budgets = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Value.FailedAuthenticationsBurst,
            TokensPerPeriod = options.Value.FailedAuthenticationsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        }));

    /// <summary>How long the address must wait, or null while it has budget left.</summary>
    public TimeSpan? RetryAfter(string address) =>
        budgets.GetStatistics(address)?.CurrentAvailablePermits > 0 ? null : TimeSpan.FromSeconds(1);

    public void Record(string address) => budgets.AttemptAcquire(address).Dispose();

    public void Dispose() => budgets.Dispose();
}
