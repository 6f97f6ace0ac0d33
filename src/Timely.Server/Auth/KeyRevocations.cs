using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Timely.Server.Auth;

/// <summary>Ends long calls whose key is revoked. A key is checked when a call starts; a stream checks
/// its key again every Auth:KeyCacheTtl (every second when that is zero), so a revocation ends every open
/// stream of the key, on every replica, within that time. Streams of one key share one lookup per
/// interval; while the database is unreachable a stream keeps its key.</summary>
public sealed class KeyRevocations(ApiKeyStore keys, IMemoryCache cache, IOptions<AuthOptions> options, TimeProvider clock)
{
    private TimeSpan Interval => options.Value.KeyCacheTtl > TimeSpan.Zero ? options.Value.KeyCacheTtl : TimeSpan.FromSeconds(1);

    /// <summary>The id of the key a call was authenticated with.</summary>
    public static Guid KeyId(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new InvalidOperationException("a call reached the service without an authenticated key");

    /// <summary>Returns once the key is revoked (or deleted); runs until <paramref name="ct"/> is cancelled otherwise.</summary>
    public async Task WaitUntilRevokedAsync(Guid keyId, CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(Interval, clock, ct);
            bool live;
            try
            {
                live = await cache.GetOrCreateAsync("api-key-live:" + keyId, entry =>
                {
                    entry.AbsoluteExpirationRelativeToNow = Interval / 2;
                    return keys.IsLiveAsync(keyId, ct);
                });
            }
            catch (Domain.StoreUnavailableException)
            {
                continue;
            }
            if (!live)
            {
                return;
            }
        }
    }
}
