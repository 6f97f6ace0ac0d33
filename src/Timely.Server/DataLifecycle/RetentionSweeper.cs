using Microsoft.Extensions.Options;
using Timely.Server.Hosting;

namespace Timely.Server.DataLifecycle;

/// <summary>Applies the workspaces' retention policies on a timer: for each workspace with closed
/// conversations past its period, starts (or continues) its retention erasure and runs it here, through
/// the same path as EraseContact. Safe on every replica at once: a workspace has at most one running
/// retention erasure, and it runs where its lease is.</summary>
public sealed class RetentionSweeper(
    ErasureStore store, ErasureRunner runner, IOptions<DataLifecycleOptions> options, TimeProvider clock, ILogger<RetentionSweeper> logger)
    : PeriodicService(clock, logger)
{
    protected override TimeSpan Interval => options.Value.RetentionInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => SweepOnceAsync(ct);

    /// <summary>One round over every policy; returns how many conversations the erasures it ran erased.</summary>
    public async Task<long> SweepOnceAsync(CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        var erased = 0L;
        foreach (var policy in await store.ListActivePoliciesAsync(ct))
        {
            var closedBefore = now - TimeSpan.FromDays(policy.ClosedConversationDays);
            if (!await store.HasClosedBeforeAsync(policy.Workspace, closedBefore, ct))
            {
                continue;
            }
            var erasure = await store.StartAsync(new Erasure(
                policy.Workspace, Guid.CreateVersion7(now), ErasureReason.Retention, null, closedBefore, Erasure.RetentionRequester,
                now, null, ErasureState.Running, 0, 0, 0, 0), ct);
            erased += (await runner.RunAsync(erasure.Workspace, erasure.Id, ct))?.ConversationsErased ?? 0;
        }
        return erased;
    }
}
