using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Timely.Server.Auth;

/// <summary>Ends long calls whose key is revoked. A key is checked when a call starts; a stream checks
/// its key again every Auth:KeyCacheTtl (every second when that is zero), so a revocation ends every open
/// stream of the key, on every replica, within that time. Streams of one key share one watch (one timer and
/// one lookup per interval, not one per stream); while the database is unreachable a stream keeps its key.</summary>
public sealed class KeyRevocations(ApiKeyStore keys, IMemoryCache cache, IOptions<AuthOptions> options, TimeProvider clock)
{
    private TimeSpan Interval => options.Value.KeyCacheTtl > TimeSpan.Zero ? options.Value.KeyCacheTtl : TimeSpan.FromSeconds(1);

    /// <summary>The id of the key a call was authenticated with.</summary>
    public static Guid KeyId(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new InvalidOperationException("a call reached the service without an authenticated key");

    private readonly Lock gate = new();
    private readonly Dictionary<Guid, Watched> watched = [];

    /// <summary>Watches a key until disposed: <see cref="KeyWatch.Revoked"/> is cancelled once the key is revoked
    /// (or deleted). The open streams of one key share one watch (one timer, one lookup per interval), not one each.</summary>
    public KeyWatch Watch(Guid keyId)
    {
        lock (gate)
        {
            if (!watched.TryGetValue(keyId, out var w))
            {
                watched[keyId] = w = new Watched(keyId);
                _ = WatchAsync(w); // its first await is the interval's delay: nothing runs under the gate
            }
            w.Streams++;
            return new KeyWatch(this, w);
        }
    }

    private void Leave(Watched w)
    {
        lock (gate)
        {
            if (--w.Streams > 0)
            {
                return;
            }
            watched.Remove(w.KeyId);
        }
        w.Stop.Cancel();
    }

    private async Task WatchAsync(Watched w)
    {
        try
        {
            while (!await IsRevokedAsync(w.KeyId, w.Stop.Token))
            {
            }
            await w.Revoked.CancelAsync();
        }
        catch (OperationCanceledException) when (w.Stop.IsCancellationRequested)
        {
            // its last stream ended first
        }
    }

    /// <summary>Waits an interval, then tells whether the key is revoked (or deleted); while the database is
    /// unreachable (or the lookup fails) the key counts as live.</summary>
    private async Task<bool> IsRevokedAsync(Guid keyId, CancellationToken ct)
    {
        await Task.Delay(Interval, clock, ct);
        try
        {
            return !await cache.GetOrCreateAsync("api-key-live:" + keyId, entry =>
            {
                entry.AbsoluteExpirationRelativeToNow = Interval / 2;
                return keys.IsLiveAsync(keyId, ct);
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    internal sealed class Watched(Guid keyId)
    {
        public Guid KeyId { get; } = keyId;
        public int Streams { get; set; }
        public CancellationTokenSource Revoked { get; } = new();
        public CancellationTokenSource Stop { get; } = new();
    }

    /// <summary>One stream's hold on its key's watch.</summary>
    public sealed class KeyWatch : IDisposable
    {
        private readonly KeyRevocations owner;
        private readonly Watched watched;
        private bool disposed;

        internal KeyWatch(KeyRevocations owner, Watched watched)
        {
            this.owner = owner;
            this.watched = watched;
        }

        /// <summary>Cancelled once the key is revoked (or deleted).</summary>
        public CancellationToken Revoked => watched.Revoked.Token;

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                owner.Leave(watched);
            }
        }
    }
}
