using Microsoft.Extensions.Options;
using Timely.Server.Feeds;
using Timely.Server.Hosting;

namespace Timely.Server.Webhooks;

/// <summary>Deletes delivery records as old as the event log's retention: the events they point to are gone.</summary>
public sealed class WebhookRetention(WebhookStore store, IOptions<FeedOptions> options, TimeProvider clock, ILogger<WebhookRetention> logger)
    : PeriodicService(clock, logger)
{
    protected override TimeSpan Interval => options.Value.PruneInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => store.PruneAsync(Clock.GetUtcNow() - options.Value.EventRetention, ct);
}
