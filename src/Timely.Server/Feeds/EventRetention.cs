using Microsoft.Extensions.Options;
using Timely.Server.Hosting;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Deletes events (and remembered request ids) older than the retention period.</summary>
public sealed class EventRetention(EventLog log, IOptions<FeedOptions> options, TimeProvider clock, ILogger<EventRetention> logger)
    : PeriodicService(clock, logger)
{
    protected override TimeSpan Interval => options.Value.PruneInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => log.PruneAsync(Clock.GetUtcNow() - options.Value.EventRetention, ct);
}
