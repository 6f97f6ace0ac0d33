using Timely.Server.Domain;
using Timely.Server.Feeds;

namespace Timely.Server.UnitTests.Feeds;

/// <summary>A subscription is what each idle stream holds: it costs a flag until something arrives, and still
/// never loses a wake-up.</summary>
public sealed class ChangeSubscriptionTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private readonly ChangeSignals signals = new();
    private readonly Guid conversationId = Guid.NewGuid();

    [Fact]
    public async Task ALiveSubscriptionHasNoMailboxUntilItsFirstLiveItem()
    {
        using var live = signals.Subscribe("w", conversationId, live: true);
        using var notLive = signals.Subscribe("w", conversationId, live: false);
        signals.Wake("w", conversationId);
        Assert.False(live.HasLiveMailbox);

        var item = Item();
        signals.Publish(item);

        Assert.True(live.HasLiveMailbox);
        Assert.False(notLive.HasLiveMailbox);
        Assert.Equal([item], live.TakeLive(out var overflow));
        Assert.False(overflow);
        Assert.Empty(notLive.TakeLive(out _));
        await live.WaitAsync(Long, TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); // the item woke it
    }

    [Fact]
    public async Task AWakeUpBeforeTheWaitIsKeptAndTakenOnce()
    {
        using var subscription = signals.Subscribe("w", conversationId);
        Assert.True(subscription.TakeStoreChange()); // the first read is due
        signals.Wake("w", conversationId);
        signals.Wake("w", conversationId);

        var tick = await subscription.WaitAsync(Long, TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(subscription.TakeStoreChange());
        Assert.True(tick > 0);
        var next = subscription.WaitAsync(Long, TimeProvider.System, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(next.IsCompleted); // both wake-ups were one pending wake-up, taken
        signals.Wake("w", conversationId);
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(5)) > tick);
    }

    [Fact]
    public async Task AWaitWithoutWakeUpEndsWithASafetyPoll()
    {
        using var subscription = signals.Subscribe("w", conversationId);
        subscription.TakeStoreChange();
        var before = signals.Tick();

        var tick = await subscription.WaitAsync(TimeSpan.FromMilliseconds(20), TimeProvider.System, CancellationToken.None);

        Assert.True(tick > before);
        Assert.True(subscription.TakeStoreChange()); // the poll counts as a store change: read again
    }

    [Fact]
    public async Task ConcurrentWakeUpsAreNeverLost()
    {
        using var subscription = signals.Subscribe("w", conversationId);
        for (var i = 0; i < 300; i++)
        {
            var waiting = subscription.WaitAsync(Long, TimeProvider.System, CancellationToken.None);
            var wake = Task.Run(() => signals.Wake("w", conversationId));
            await waiting.WaitAsync(TimeSpan.FromSeconds(5));
            await wake;
            _ = subscription.TakeStoreChange();
            // A wake-up that raced with the end of the wait may still be pending: take it, so each round starts clean.
            var pendingOrNot = subscription.WaitAsync(TimeSpan.FromMilliseconds(1), TimeProvider.System, CancellationToken.None);
            await pendingOrNot;
        }
    }

    [Fact]
    public async Task CancellingAWaitThrowsAndLeavesTheSubscriptionUsable()
    {
        using var subscription = signals.Subscribe("w", conversationId);
        using var cancel = new CancellationTokenSource();
        var waiting = subscription.WaitAsync(Long, TimeProvider.System, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        signals.Wake("w", conversationId);
        await subscription.WaitAsync(Long, TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
    }

    private LiveItem Item()
    {
        var now = DateTimeOffset.UtcNow;
        var conversation = new Conversation(conversationId, "w", Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), ConversationStatus.Open,
            null, "", [], now, null, null, null, 0, 1);
        return new LiveItem("w", conversation, null, new ActivityUpdate(AgentActivityKind.Typing, SenderType.AiAgent, Guid.NewGuid(), now.AddSeconds(5), now));
    }
}
