using Microsoft.Extensions.Options;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Deletes events (and remembered request ids) older than the retention period.</summary>
public sealed partial class EventRetention(
    IConversationStore store, IOptions<FeedOptions> options, TimeProvider clock, ILogger<EventRetention> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval, clock);
        do
        {
            try
            {
                await store.PruneAsync(clock.GetUtcNow() - options.Value.EventRetention, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPruneFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event retention failed; retrying at the next interval")]
    private partial void LogPruneFailed(Exception exception);
}
