namespace Timely.Server.Feeds;

/// <summary>Configuration section "Feeds".</summary>
public sealed class FeedOptions
{
    public const string Section = "Feeds";

    /// <summary>How long events are kept; a watch cursor older than this is OUT_OF_RANGE.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often retention deletes old events.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often an idle subscriber re-reads the store even without a notification.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How soon a watcher reads again when committed events wait for an older transaction to end
    /// (PostgreSQL; that transaction may write no event and so wake nobody when it ends).</summary>
    public TimeSpan PendingRecheck { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How many items a subscriber reads from the store at once.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>How many bytes of items a subscriber reads from the store at once (always at least one item):
    /// with <see cref="BatchSize"/>, its memory bound. Counted as the items' text in UTF-8 plus 256 bytes each,
    /// about their encoded size; .NET holds that text in UTF-16, up to twice as many bytes. A stalled subscriber
    /// holds at most one batch, and its group's latest shared read one more (<see cref="SharedReads{TGroup, TRead, TResult}"/>),
    /// plus its stream's transport buffers, until <see cref="StalledSubscriberTimeout"/> ends it.</summary>
    public long MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>How long one write to a live stream may wait for its client to read (HTTP/2 flow control, a
    /// full socket) before the stream ends with RESOURCE_EXHAUSTED, telling the client to resume from the last
    /// position it received, and the server lets go of what the subscriber held. 30 s: far longer than a
    /// healthy client pauses (a garbage collection, a network hiccup, a proxy's buffering), short enough that a
    /// stuck client does not pin a batch and a stream for long.</summary>
    public TimeSpan StalledSubscriberTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stream ended as stalled waits for its client to read what was sent before its status (the
    /// call cannot end while a write is in flight); a client still not reading then gets the stream reset, which the
    /// SDKs resume after as after a dropped connection. A minute: a client that reads again within it (after a long
    /// pause) gets the status that says why; a stuck one does not hold its stream for long.</summary>
    public TimeSpan StalledStreamResetTimeout { get; set; } = TimeSpan.FromMinutes(1);
}
