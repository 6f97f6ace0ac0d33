using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Hosting;
using Timely.Server.Observability;
using Timely.Server.Storage;

namespace Timely.Server.Inactivity;

/// <summary>Applies the waiting and timeout rules on a timer. Safe to run on every replica at once:
/// candidates are read without a lock, and each is checked again under its write lock, so each
/// conversation changes once.</summary>
public sealed partial class InactivitySweeper(
    IConversationStore store, IOptions<LifecycleOptions> options, TimeProvider clock, TimelyMetrics metrics, ILogger<InactivitySweeper> logger)
    : PeriodicService(clock, logger)
{
    private const int Batch = 200;

    /// <summary>Which idle conversations a rule moves on: in <see cref="Status"/>, last active (last message,
    /// else creation) at or before the idle mark and, when <see cref="LastSenders"/> is not empty, last
    /// written to by one of them.</summary>
    private sealed record IdleRule(ConversationStatus Status, SenderType[] LastSenders, LifecycleAction Action)
    {
        public bool Applies(Conversation c, DateTimeOffset idleSince) =>
            c.Status == Status
            && (LastSenders.Length == 0 || c.LastSenderType is { } sender && LastSenders.Contains(sender))
            && (c.LastMessageAt ?? c.CreatedAt) <= idleSince;
    }

    // Open, the agent spoke last, no customer reply: waiting. Waiting with no reply: closed.
    private static readonly IdleRule Waiting = new(ConversationStatus.Open, [SenderType.AiAgent, SenderType.HumanAgent], LifecycleAction.MarkWaiting);
    private static readonly IdleRule Expiry = new(ConversationStatus.Waiting, [], LifecycleAction.Expire);

    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => SweepOnceAsync(ct);

    public async Task<int> SweepOnceAsync(CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        var o = options.Value;
        var changed = await SweepAsync(Waiting, now - o.WaitingAfter, ct) + await SweepAsync(Expiry, now - o.CloseAfter, ct);
        if (changed > 0)
        {
            LogSwept(changed);
        }
        return changed;
    }

    private async Task<int> SweepAsync(IdleRule rule, DateTimeOffset idleSince, CancellationToken ct)
    {
        var changed = 0;
        while (true)
        {
            var candidates = await store.ListIdleAsync(rule.Status, rule.LastSenders, idleSince, Batch, ct);
            foreach (var candidate in candidates)
            {
                var before = 0L;
                var after = await store.UpdateConversationAsync(candidate.Workspace, candidate.ConversationId, null, (current, now) =>
                {
                    before = current.Version;
                    return rule.Applies(current, idleSince)
                        ? Lifecycle.Change(current, rule.Action, now)
                        : ConversationChange.None(current);
                }, ct);
                if (after.Version != before)
                {
                    changed++;
                    metrics.SweeperMoved(after.Status);
                }
            }
            if (candidates.Count < Batch)
            {
                return changed;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inactivity sweep changed {Count} conversations")]
    private partial void LogSwept(int count);
}
