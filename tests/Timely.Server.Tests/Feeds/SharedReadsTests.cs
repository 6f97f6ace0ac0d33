using Timely.Server.Feeds;

namespace Timely.Server.Tests.Feeds;

/// <summary>Followers share reads, but never a read older than the change that woke them.</summary>
public sealed class SharedReadsTests
{
    private readonly ChangeSignals signals = new();
    private int reads;

    /// <summary>Counts its reads; each returns "group:what:n", or what <paramref name="read"/> gives.</summary>
    private SharedReads<string, int, string> Reads(Func<int, Task<string>>? read = null) =>
        new(signals, async (group, what) =>
        {
            var n = Interlocked.Increment(ref reads);
            return read is null ? $"{group}:{what}:{n}" : await read(what);
        });

    [Fact]
    public async Task FollowersWokenByTheSameChangeShareOneRead()
    {
        var shared = Reads();
        using var first = shared.Follow("c1");
        using var second = shared.Follow("c1");
        var woken = signals.Tick();

        var a = first.ReadAsync(0, woken, CancellationToken.None);
        var b = second.ReadAsync(0, woken, CancellationToken.None);
        var later = await first.ReadAsync(0, woken, CancellationToken.None);   // done by now: still fresh enough

        Assert.Same(await a, await b);
        Assert.Same(await a, later);
        Assert.Equal(1, reads);
    }

    [Fact]
    public async Task AReadThatStartedBeforeAWakeUpIsNotShared()
    {
        var shared = Reads();
        using var follower = shared.Follow("c1");
        var before = await follower.ReadAsync(0, signals.Tick(), CancellationToken.None);

        var woken = signals.Tick();   // a change committed and signalled after that read started
        var after = await follower.ReadAsync(0, woken, CancellationToken.None);

        Assert.NotSame(before, after);
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task OtherReadsAndOtherGroupsAreNotShared()
    {
        var shared = Reads();
        using var one = shared.Follow("c1");
        using var other = shared.Follow("c2");
        var woken = signals.Tick();

        Assert.Equal("c1:0:1", await one.ReadAsync(0, woken, CancellationToken.None));
        Assert.Equal("c1:5:2", await one.ReadAsync(5, woken, CancellationToken.None));
        Assert.Equal("c2:5:3", await other.ReadAsync(5, woken, CancellationToken.None));
    }

    [Fact]
    public async Task AFailedReadReachesItsFollowersAndIsNotSharedAgain()
    {
        var outcome = new TaskCompletionSource<string>();
        var shared = Reads(_ => outcome.Task);
        using var first = shared.Follow("c1");
        using var second = shared.Follow("c1");
        var woken = signals.Tick();

        var a = first.ReadAsync(0, woken, CancellationToken.None);
        var b = second.ReadAsync(0, woken, CancellationToken.None);
        outcome.SetException(new TimeoutException("database down"));
        await Assert.ThrowsAsync<TimeoutException>(() => a);
        await Assert.ThrowsAsync<TimeoutException>(() => b);

        outcome = new TaskCompletionSource<string>();
        outcome.SetResult("ok");
        Assert.Equal("ok", await first.ReadAsync(0, woken, CancellationToken.None));
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task AGroupIsForgottenWhenItsLastFollowerLeaves()
    {
        var shared = Reads();
        var woken = signals.Tick();
        using (var follower = shared.Follow("c1"))
        {
            await follower.ReadAsync(0, woken, CancellationToken.None);
        }
        using var next = shared.Follow("c1");
        await next.ReadAsync(0, woken, CancellationToken.None);

        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task AFollowerStopsWaitingWhenItsCallIsCancelled()
    {
        var release = new TaskCompletionSource<string>();
        var shared = Reads(_ => release.Task);
        using var follower = shared.Follow("c1");
        using var cancel = new CancellationTokenSource();

        var waiting = follower.ReadAsync(0, signals.Tick(), cancel.Token);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        release.SetResult("late");
    }
}
