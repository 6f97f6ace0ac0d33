using System.Diagnostics;
using Timely.Testing;

namespace Timely.Bench;

/// <summary>How busy SQLite's single writer was between two samples: the servers' own counter of the time the
/// writer spent running and committing groups (<c>timely_store_writer_busy_seconds_total</c> on /metrics) over
/// the time that passed. Near 100 %, the writer is what bounds the writes. No figure for PostgreSQL, or for a
/// build older than the counter.</summary>
public sealed class WriterMeter(IReadOnlyList<int> webPorts)
{
    private const string Counter = "timely_store_writer_busy_seconds_total";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public sealed record Sample(double? BusySeconds, long At);

    public Sample Take()
    {
        double? busy = null;
        foreach (var port in webPorts)
        {
            var scrape = new PrometheusText(Http.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult());
            if (scrape.Sum(Counter) is { } seconds)
            {
                busy = (busy ?? 0) + seconds;
            }
        }
        return new Sample(busy, Stopwatch.GetTimestamp());
    }

    /// <summary>The writer's busy time as a share of the time between the samples (per server, averaged).</summary>
    public double? PercentBetween(Sample before, Sample after) =>
        before.BusySeconds is { } from && after.BusySeconds is { } to
            ? 100 * (to - from) / Stopwatch.GetElapsedTime(before.At, after.At).TotalSeconds / webPorts.Count
            : null;
}
