using Microsoft.Extensions.Options;
using Timely.Server.Hosting;
using Timely.Server.Storage;

namespace Timely.Server.Inactivity;

/// <summary>Applies the waiting and timeout rules on a timer. Safe to run on every replica at once:
/// the store re-checks each conversation under its write lock.</summary>
public sealed partial class InactivitySweeper(
    IConversationStore store, IOptions<LifecycleOptions> options, TimeProvider clock, ILogger<InactivitySweeper> logger)
    : PeriodicService(clock, logger)
{
    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => SweepOnceAsync(ct);

    public async Task<int> SweepOnceAsync(CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
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
}
