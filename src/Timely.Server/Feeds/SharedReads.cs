namespace Timely.Server.Feeds;

/// <summary>Live subscribers that follow the same thing (a conversation's tail, a watch filter) share
/// their reads of the store: woken by the same change, 1,000 subscribers cost one read, not 1,000.
/// A subscriber joins a read only if that read took its tick after the wake-up that woke it (see
/// <see cref="ChangeSignals"/>), so a shared read never hides a change. Each group keeps only its
/// newest read, and is forgotten when its last follower leaves.</summary>
/// <typeparam name="TGroup">What the followers follow, e.g. (workspace, conversation).</typeparam>
/// <typeparam name="TRead">What one read is of, e.g. (after sequence, limit): only equal reads are shared.</typeparam>
public sealed class SharedReads<TGroup, TRead, TResult>(ChangeSignals signals, Func<TGroup, TRead, Task<TResult>> read)
    where TGroup : notnull
{
    private readonly Lock gate = new();
    private readonly Dictionary<TGroup, Group> groups = [];

    /// <summary>Follows a group until disposed.</summary>
    public Follower Follow(TGroup key)
    {
        lock (gate)
        {
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = new Group(key);
            }
            group.Followers++;
            return new Follower(this, group);
        }
    }

    private Task<TResult> Read(Group group, TRead what, long notBefore)
    {
        Flight flight;
        var start = false;
        lock (gate)
        {
            if (group.Latest is { } latest && latest.Tick > notBefore
                && EqualityComparer<TRead>.Default.Equals(latest.What, what) && !latest.Result.IsFaulted)
            {
                flight = latest;
            }
            else
            {
                flight = group.Latest = new Flight(signals.Tick(), what);
                start = true;
            }
        }
        if (start)
        {
            _ = RunAsync(group.Key, flight);
        }
        return flight.Result;
    }

    private async Task RunAsync(TGroup key, Flight flight)
    {
        try
        {
            await Task.Yield(); // the store may answer synchronously (SQLite): let the other followers join first
            flight.Completion.SetResult(await read(key, flight.What));
        }
        catch (Exception e)
        {
            flight.Completion.SetException(e); // each follower gets the error; a failed read is never shared again
        }
    }

    private void Leave(Group group)
    {
        lock (gate)
        {
            if (--group.Followers == 0)
            {
                groups.Remove(group.Key);
            }
        }
    }

    /// <summary>One subscriber's handle on its group.</summary>
    public sealed class Follower : IDisposable
    {
        private readonly SharedReads<TGroup, TRead, TResult> owner;
        private readonly Group group;
        private bool disposed;

        internal Follower(SharedReads<TGroup, TRead, TResult> owner, Group group)
        {
            this.owner = owner;
            this.group = group;
        }

        /// <summary>Reads <paramref name="what"/>, sharing a read of it that started after tick
        /// <paramref name="notBefore"/> if there is one.</summary>
        public Task<TResult> ReadAsync(TRead what, long notBefore, CancellationToken ct) =>
            owner.Read(group, what, notBefore).WaitAsync(ct);

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                owner.Leave(group);
            }
        }
    }

    internal sealed class Group(TGroup key)
    {
        public TGroup Key { get; } = key;
        public int Followers { get; set; }
        public Flight? Latest { get; set; }
    }

    /// <summary>One read, with the tick it took before it started.</summary>
    internal sealed class Flight(long tick, TRead what)
    {
        public long Tick { get; } = tick;
        public TRead What { get; } = what;
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<TResult> Result => Completion.Task;
    }
}
