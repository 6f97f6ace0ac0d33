using System.Diagnostics;
using Timely.Testing;

namespace Timely.Bench;

/// <summary>What the servers say of themselves on /metrics between two samples, summed over the servers:
/// how busy SQLite's single writer was (<c>timely_store_writer_busy_seconds_total</c>; near 100 %, the writer is
/// what bounds the writes; no figure for PostgreSQL), how much of the time the garbage collector paused the
/// process (<c>dotnet_gc_pause_time_seconds_total</c>), and how much the process allocated
/// (<c>dotnet_gc_heap_total_allocated_bytes_total</c>). No figure for a build older than a counter.</summary>
public sealed class ServerMeter(IReadOnlyList<int> webPorts)
{
    private const string WriterBusy = "timely_store_writer_busy_seconds_total";
    private const string GcPause = "dotnet_gc_pause_time_seconds_total";
    private const string Allocated = "dotnet_gc_heap_total_allocated_bytes_total";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public sealed record Sample(double? WriterBusySeconds, double? GcPauseSeconds, double? AllocatedBytes, long At);

    /// <summary>Per server, averaged: the writer's busy time and the GC's pauses as shares of the time between
    /// the samples. Allocated: KB per call, over all the servers' calls.</summary>
    public sealed record Figures(double? WriterPercent, double? GcPausePercent, double? AllocatedKbPerCall);

    public Sample Take()
    {
        double? writer = null, pause = null, allocated = null;
        foreach (var port in webPorts)
        {
            var scrape = new PrometheusText(Http.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult());
            writer = Add(writer, scrape.Sum(WriterBusy));
            pause = Add(pause, scrape.Sum(GcPause));
            allocated = Add(allocated, scrape.Sum(Allocated));
        }
        return new Sample(writer, pause, allocated, Stopwatch.GetTimestamp());
    }

    public Figures Between(Sample before, Sample after, long calls)
    {
        var seconds = Stopwatch.GetElapsedTime(before.At, after.At).TotalSeconds * webPorts.Count;
        return new Figures(
            Difference(before.WriterBusySeconds, after.WriterBusySeconds) * 100 / seconds,
            Difference(before.GcPauseSeconds, after.GcPauseSeconds) * 100 / seconds,
            Difference(before.AllocatedBytes, after.AllocatedBytes) / 1024 / Math.Max(calls, 1));
    }

    private static double? Add(double? total, double? value) => value is { } v ? (total ?? 0) + v : total;

    private static double? Difference(double? before, double? after) => before is { } b && after is { } a ? a - b : null;
}
