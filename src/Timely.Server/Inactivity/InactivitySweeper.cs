using Microsoft.Extensions.Options;
using Timely.Server.Storage;

namespace Timely.Server.Inactivity;

/// <summary>Applies the waiting and timeout rules on a timer. Safe to run on every replica at once:
/// the store re-checks each conversation under its write lock.</summary>
public sealed partial class InactivitySweeper(
    IConversationStore store, IOptions<LifecycleOptions> options, TimeProvider clock, ILogger<InactivitySweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, clock);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> SweepOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var o = options.Value;
        var changed = await store.SweepInactiveAsync(now - o.WaitingAfter, now - o.CloseAfter, ct);
        if (changed > 0)
        {
            LogSwept(changed);
        }
        return changed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inactivity sweep changed {Count} conversations")]
    private partial void LogSwept(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inactivity sweep failed; retrying at the next interval")]
    private partial void LogSweepFailed(Exception exception);
}
