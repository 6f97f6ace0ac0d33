using Grpc.Core;

namespace Timely.Client;

/// <summary>When a stream reconnects, and how long it waits first.</summary>
internal static class Reconnect
{
    /// <summary>The connection dropped or the server went away (restart, shutdown, a replica lost). Anything
    /// else (OUT_OF_RANGE, PERMISSION_DENIED, NOT_FOUND, ...) is the caller's to handle and is not retried.</summary>
    public static bool IsTransient(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        || (e.StatusCode is StatusCode.Internal or StatusCode.Unknown && e.Status.DebugException is IOException or HttpRequestException);

    /// <summary>Exponential backoff from 100 ms up to <paramref name="max"/>, with jitter so clients of a
    /// restarted server do not all come back at once.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan max)
    {
        var ceiling = Math.Min(max.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 10)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }
}
