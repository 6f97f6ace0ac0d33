namespace Timely.Server.Webhooks;

/// <summary>When to retry a failed delivery: exponential from the first delay, capped, with "equal
/// jitter" (between half and all of the exponential delay) so that retries of many events spread out.
/// The schedule is stored with each delivery, so it survives restarts (an in-process retry pipeline,
/// as Polly's, would not).</summary>
public static class Backoff
{
    public static TimeSpan Delay(int attempts, TimeSpan first, TimeSpan max, double random)
    {
        var exponent = Math.Min(Math.Max(attempts - 1, 0), 30);
        var full = Math.Min(first.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(full / 2 + full / 2 * random);
    }
}
