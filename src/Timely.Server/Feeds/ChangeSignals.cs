using System.Threading.Channels;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>This process's live subscribers, by workspace and by conversation. Waking one costs a
/// non-blocking write to a one-slot channel: however many changes arrive while a subscriber is
/// busy, it holds one pending wake-up, never a queue.
/// Wake-ups and shared reads (<see cref="SharedReads{TGroup, TRead, TResult}"/>) are ordered by ticks of one counter:
/// a read that took its tick after a wake-up's tick started after the change was committed.</summary>
public sealed class ChangeSignals : IChangeObserver
{
    private readonly Lock gate = new();
    private long ticks;
    private readonly Dictionary<string, ChangeSubscription[]> byWorkspace = [];
    private readonly Dictionary<Guid, ChangeSubscription[]> byConversation = [];

    /// <summary>Subscribes to changes of a whole workspace, or of one conversation. Subscribe before
    /// the first read of the store, so a change between that read and the first wait still wakes.</summary>
    public ChangeSubscription Subscribe(string workspace, Guid? conversationId) => Subscribe(workspace, conversationId, live: false);

    /// <summary>As above; with <paramref name="live"/>, the subscription also receives the live-only items
    /// (<see cref="Publish"/>) of what it follows, in a bounded mailbox.</summary>
    public ChangeSubscription Subscribe(string workspace, Guid? conversationId, bool live)
    {
        var subscription = new ChangeSubscription(this, workspace, conversationId, live);
        lock (gate)
        {
            if (conversationId is { } id)
            {
                byConversation[id] = [.. byConversation.GetValueOrDefault(id, []), subscription];
            }
            else
            {
                byWorkspace[workspace] = [.. byWorkspace.GetValueOrDefault(workspace, []), subscription];
            }
        }
        return subscription;
    }

    /// <summary>The next tick: later than every wake-up and every read that came before.</summary>
    public long Tick() => Interlocked.Increment(ref ticks);

    public void Wake(string workspace, Guid conversationId)
    {
        var tick = Tick();
        ChangeSubscription[]? forConversation, forWorkspace;
        lock (gate)
        {
            byConversation.TryGetValue(conversationId, out forConversation);
            byWorkspace.TryGetValue(workspace, out forWorkspace);
        }
        foreach (var s in forConversation ?? [])
        {
            s.Signal(tick);
        }
        foreach (var s in forWorkspace ?? [])
        {
            s.Signal(tick);
        }
    }

    /// <summary>Hands a live-only item (a draft update, an activity) to the subscriptions that follow its
    /// conversation or workspace and asked for live items, and wakes them; never blocks.</summary>
    public void Publish(Domain.LiveItem item)
    {
        ChangeSubscription[]? forConversation, forWorkspace;
        lock (gate)
        {
            byConversation.TryGetValue(item.ConversationId, out forConversation);
            byWorkspace.TryGetValue(item.Workspace, out forWorkspace);
        }
        foreach (var s in forConversation ?? [])
        {
            s.Deliver(item);
        }
        foreach (var s in forWorkspace ?? [])
        {
            s.Deliver(item);
        }
    }

    void IChangeObserver.Changed(string workspace, Guid conversationId) => Wake(workspace, conversationId);

    void IChangeObserver.ChangedAll() => WakeAll();

    /// <summary>Wakes everyone, e.g. after notifications may have been missed.</summary>
    public void WakeAll()
    {
        var tick = Tick();
        ChangeSubscription[] all;
        lock (gate)
        {
            all = [.. byConversation.Values.SelectMany(s => s), .. byWorkspace.Values.SelectMany(s => s)];
        }
        foreach (var s in all)
        {
            s.Signal(tick);
        }
    }

    internal void Remove(ChangeSubscription subscription)
    {
        lock (gate)
        {
            if (subscription.ConversationId is { } id)
            {
                RemoveFrom(byConversation, id, subscription);
            }
            else
            {
                RemoveFrom(byWorkspace, subscription.Workspace, subscription);
            }
        }
    }

    private static void RemoveFrom<TKey>(Dictionary<TKey, ChangeSubscription[]> map, TKey key, ChangeSubscription subscription)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var current))
        {
            return;
        }
        var rest = current.Where(s => s != subscription).ToArray();
        if (rest.Length == 0)
        {
            map.Remove(key);
        }
        else
        {
            map[key] = rest;
        }
    }
}

/// <summary>One subscriber's pending wake-up: a flag, and the one wait in progress, if any. Ten thousand idle
/// streams hold ten thousand of these, so it keeps no channel of its own: the live-item mailbox comes with the
/// first live item, and a wait allocates only what one wait needs.</summary>
public sealed class ChangeSubscription : IDisposable
{
    private readonly ChangeSignals owner;
    private readonly bool acceptsLive;
    private int pending; // 1 while a wake-up is pending: however many arrive, the subscriber holds one
    private TaskCompletionSource? waiter; // the wait in progress (one reader)
    private long lastSignal;
    private int stored = 1; // 1 while a store change may be unread (the first read is due)
    private int overflowed;
    private Channel<Domain.LiveItem>? live;
    private ITimer? poll;               // the safety poll of the current wait (ArmPoll), made by pollClock
    private TimeProvider? pollClock;
    private int pollDue;                // 1 once the poll fell due, until a wait returns

    internal ChangeSubscription(ChangeSignals owner, string workspace, Guid? conversationId, bool live = false)
    {
        this.owner = owner;
        Workspace = workspace;
        ConversationId = conversationId;
        acceptsLive = live;
    }

    /// <summary>Live items a subscription holds before it counts as overflowed.</summary>
    public const int LiveCapacity = 1024;

    /// <summary>Whether the live-item mailbox exists yet: not before the first live item arrives.</summary>
    internal bool HasLiveMailbox => Volatile.Read(ref live) is not null;

    /// <summary>True (once) when a store change was signalled, or a safety poll fell due, since the last call:
    /// only then does the subscriber need to read the store.</summary>
    public bool TakeStoreChange() => Interlocked.Exchange(ref stored, 0) == 1;

    /// <summary>The live items received so far, in order. <paramref name="overflow"/> is true (once) when
    /// items were dropped because the mailbox was full: the subscriber should send a fresh snapshot.</summary>
    public List<Domain.LiveItem> TakeLive(out bool overflow)
    {
        var items = new List<Domain.LiveItem>();
        var mailbox = Volatile.Read(ref live);
        while (mailbox is not null && mailbox.Reader.TryRead(out var item))
        {
            items.Add(item);
        }
        overflow = Interlocked.Exchange(ref overflowed, 0) == 1;
        return items;
    }

    internal void Deliver(Domain.LiveItem item)
    {
        if (!acceptsLive)
        {
            return;
        }
        var mailbox = Volatile.Read(ref live) ?? CreateMailbox();
        if (!mailbox.Writer.TryWrite(item))
        {
            Volatile.Write(ref overflowed, 1);
        }
        Wake();
    }

    private Channel<Domain.LiveItem> CreateMailbox()
    {
        var created = Channel.CreateBounded<Domain.LiveItem>(new BoundedChannelOptions(LiveCapacity) { SingleReader = true });
        return Interlocked.CompareExchange(ref live, created, null) ?? created;
    }

    public string Workspace { get; }

    public Guid? ConversationId { get; }

    internal void Signal(long tick)
    {
        // The newest tick wins, also when wake-ups race: a read must start after all of them.
        var seen = Volatile.Read(ref lastSignal);
        while (tick > seen)
        {
            var previous = Interlocked.CompareExchange(ref lastSignal, tick, seen);
            if (previous == seen)
            {
                break;
            }
            seen = previous;
        }
        Volatile.Write(ref stored, 1);
        Wake();
    }

    /// <summary>Sets the pending flag, then completes the wait in progress. A waiter publishes itself, then
    /// checks the flag: one of the two sees the other (both are full fences), so no wake-up is lost.</summary>
    private void Wake()
    {
        Interlocked.Exchange(ref pending, 1);
        Interlocked.Exchange(ref waiter, null)?.TrySetResult();
    }

    /// <summary>Waits for a change, or for <paramref name="timeout"/> to pass (a safety poll: the store is
    /// the source of truth, so the caller re-reads it either way). Returns the tick the next read must
    /// start after to see every change signalled so far. One caller at a time. A wait makes one completion
    /// and no timer: one timer per subscription is re-armed (1,000 subscribers woken by one change re-arm
    /// 1,000 timers, not create and link 3,000 objects).</summary>
    public async Task<long> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref pending, 0) == 0)
        {
            var wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref waiter, wait);
            try
            {
                if (Interlocked.Exchange(ref pending, 0) == 0)
                {
                    Volatile.Write(ref pollDue, 0);
                    ArmPoll(timeout, clock);
                    await wait.Task.WaitAsync(ct);
                    Interlocked.Exchange(ref pending, 0); // the wake-up that completed the wait: taken
                }
            }
            finally
            {
                Interlocked.CompareExchange(ref waiter, null, wait);
            }
        }
        // A poll that fell due, also one armed by an earlier wait, asks for a fresh read: at worst one read more.
        if (Interlocked.Exchange(ref pollDue, 0) == 1)
        {
            Volatile.Write(ref stored, 1);
            return owner.Tick();
        }
        return Volatile.Read(ref lastSignal);
    }

    /// <summary>Waits <see cref="FeedOptions.PendingRecheck"/> for an event that committed but is not final yet (a
    /// transaction begun before it still runs, on PostgreSQL anywhere in the cluster), or for a change. The database's
    /// progress is real time, so the wait is on the system clock whatever clock the feed's rules run on: on a test's
    /// fake clock, a watch held back by another database's transaction never read again.</summary>
    public Task<long> WaitForDatabaseAsync(FeedOptions options, CancellationToken ct) =>
        WaitAsync(options.PendingRecheck, TimeProvider.System, ct);

    /// <summary>Arms the safety poll; only the subscription's one reader waits, so only it arms.</summary>
    private void ArmPoll(TimeSpan timeout, TimeProvider clock)
    {
        if (!ReferenceEquals(pollClock, clock))
        {
            poll?.Dispose();
            (poll, pollClock) = (clock.CreateTimer(static s => ((ChangeSubscription)s!).PollFellDue(), this,
                Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan), clock);
        }
        poll!.Change(timeout, Timeout.InfiniteTimeSpan);
    }

    private void PollFellDue()
    {
        Volatile.Write(ref pollDue, 1);
        Wake();
    }

    /// <summary>Ends the subscription; call it once its reader no longer waits.</summary>
    public void Dispose()
    {
        owner.Remove(this);
        poll?.Dispose();
    }
}
