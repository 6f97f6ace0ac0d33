using Microsoft.Extensions.Options;
using Timely.Server.Hosting;
using Timely.Server.Observability;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Counts conversations by status and the event log every Metrics:GaugeInterval for the gauges of
/// <see cref="TimelyMetrics"/>, so a scrape never queries the database. Here, beside retention, because
/// the retention lag needs the retention period (Feeds:EventRetention).</summary>
public sealed class StoreGauges(
    IConversationStore store, EventLog log, TimelyMetrics metrics, IOptions<MetricsOptions> metricsOptions, IOptions<FeedOptions> feedOptions,
    TimeProvider clock, ILogger<StoreGauges> logger)
    : PeriodicService(clock, logger)
{
    protected override TimeSpan Interval => metricsOptions.Value.GaugeInterval;

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        if (!metricsOptions.Value.Enabled)
        {
            return;
        }
        var byStatus = await store.CountByStatusAsync(ct);
        var (events, oldest) = await log.StatisticsAsync(ct);
        var behind = oldest is { } o ? Clock.GetUtcNow() - o - feedOptions.Value.EventRetention : TimeSpan.Zero;
        metrics.Counted(byStatus, events, behind);
    }
}
