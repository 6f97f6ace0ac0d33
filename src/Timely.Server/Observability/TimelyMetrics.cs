using System.Diagnostics;
using System.Diagnostics.Metrics;
using Timely.Server.Domain;

namespace Timely.Server.Observability;

/// <summary>The service's own instruments, on one <see cref="Meter"/> (<see cref="MeterName"/>). Each call site
/// records through a method here, with tags from fixed sets of values (no allocation per call), so names,
/// units and tags are in one place. Names follow OpenTelemetry's semantic conventions where one exists
/// (<c>rpc.server.duration</c>), else <c>timely.*</c>. The gauges read values a periodic count sets
/// (Feeds/StoreGauges.cs), never the database on a scrape.</summary>
public sealed class TimelyMetrics
{
    public const string MeterName = "Timely.Server";

    // Seconds, from a millisecond up: the default buckets suit milliseconds, not seconds.
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly Histogram<double> rpcDuration;
    private readonly Counter<long> messagesWritten;
    private readonly UpDownCounter<long> openStreams;
    private readonly Histogram<double> deliveryLag;
    private readonly Counter<long> sweeperTransitions;
    private readonly Counter<long> rateLimitRejections;
    private readonly Histogram<double> storeTransactions;
    private readonly Histogram<int> groupCommitSize;
    private readonly Counter<double> writerBusy;
    private readonly Histogram<int> appendBatchSize;
    private readonly Histogram<double> webhookRequests;
    private readonly Counter<long> webhookEndpointsDisabled;
    private readonly Counter<long> erasedConversations;
    private readonly Counter<long> erasedMessages;
    private Measurement<long>[] conversations = [];
    private Measurement<long>[] eventLogSize = [];
    private Measurement<double>[] retentionLag = [];

    public TimelyMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        rpcDuration = meter.CreateHistogram("rpc.server.duration", "s",
            "Duration of the gRPC calls that reached the service, by method and status code (streams: how long they stayed open).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        messagesWritten = meter.CreateCounter<long>("timely.messages.written", "{message}", "Messages stored (retries with a known request id excluded), by sender type.");
        meter.CreateObservableGauge("timely.conversations", () => conversations, "{conversation}", "Conversations by status, from the latest periodic count.");
        openStreams = meter.CreateUpDownCounter<long>("timely.streams.open", "{stream}", "Live streams open on this replica, by kind.");
        deliveryLag = meter.CreateHistogram("timely.delivery.lag", "s",
            "From a live item's commit (its timestamp) to its write to a subscriber, by stream kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        meter.CreateObservableGauge("timely.event_log.size", () => eventLogSize, "{event}", "Events retained in the log, from the latest periodic count.");
        meter.CreateObservableGauge("timely.event_log.retention_lag", () => retentionLag, "s",
            "How far retention is behind: age of the oldest retained event minus the retention period, 0 when on time.");
        sweeperTransitions = meter.CreateCounter<long>("timely.sweeper.transitions", "{conversation}", "Conversations the inactivity sweeper moved, by the status they moved to.");
        rateLimitRejections = meter.CreateCounter<long>("timely.rate_limit.rejections", "{call}", "Calls refused with RESOURCE_EXHAUSTED by a limit, by limit.");
        storeTransactions = meter.CreateHistogram("timely.store.transaction.duration", "s",
            "Duration of store transactions (a write's includes its wait for the group commit on SQLite), by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        groupCommitSize = meter.CreateHistogram("timely.store.group_commit.size", "{write}", "Writes committed together by one SQLite group commit.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        writerBusy = meter.CreateCounter<double>("timely.store.writer.busy", "s",
            "SQLite: time its single writer spent running groups of writes and committing them. Its rate is the writer's " +
            "utilization: near 1, writes queue for it, and more load adds latency, not throughput.");
        appendBatchSize = meter.CreateHistogram("timely.store.append_batch.size", "{append}",
            "PostgreSQL: concurrent appends written in one transaction by one append batch, by outcome: committed, or failed " +
            "(a statement failed, and each append was written on its own).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        webhookRequests = meter.CreateHistogram("timely.webhook.request.duration", "s",
            "Webhook requests sent, and how long each took, by outcome: acknowledged (2xx), failed (retried later), gone (410).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        webhookEndpointsDisabled = meter.CreateCounter<long>("timely.webhook.endpoints.disabled", "{endpoint}",
            "Webhook endpoints the service disabled: answered 410, or failed without a success for Webhooks:DisableAfter.");
        erasedConversations = meter.CreateCounter<long>("timely.erasure.conversations", "{conversation}",
            "Conversations erased (DataService), by reason: contact (EraseContact) or retention (the retention policy).");
        erasedMessages = meter.CreateCounter<long>("timely.erasure.messages", "{message}", "Messages erased with their conversations, by reason.");
    }

    public void CallEnded(string method, Grpc.Core.StatusCode status, TimeSpan elapsed)
    {
        var (service, name) = RpcNames.Of(method);
        var tags = new TagList
        {
            { "rpc.system", "grpc" },
            { "rpc.service", service },
            { "rpc.method", name },
            { "rpc.grpc.status_code", RpcNames.Boxed(status) },
        };
        rpcDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void MessageWritten(SenderType sender) => messagesWritten.Add(1, new KeyValuePair<string, object?>("timely.sender.type", Names.Of(sender)));

    public void StreamOpened(StreamKind kind) => openStreams.Add(1, Tag(kind));

    public void StreamClosed(StreamKind kind) => openStreams.Add(-1, Tag(kind));

    public void Delivered(StreamKind kind, TimeSpan lag) => deliveryLag.Record(Math.Max(0, lag.TotalSeconds), Tag(kind));

    public void SweeperMoved(ConversationStatus to) => sweeperTransitions.Add(1, new KeyValuePair<string, object?>("timely.conversation.status", Names.Of(to)));

    public void RateLimited(LimitKind limit) =>
        rateLimitRejections.Add(1, new KeyValuePair<string, object?>("timely.limit", limit switch
        {
            LimitKind.Requests => "requests",
            LimitKind.Streams => "streams",
            _ => "failed_authentications",
        }));

    public void StoreTransaction(bool write, TimeSpan elapsed) =>
        storeTransactions.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("timely.store.transaction", write ? "write" : "read"));

    public void GroupCommitted(int writes) => groupCommitSize.Record(writes);

    public void WriterBusy(TimeSpan elapsed) => writerBusy.Add(elapsed.TotalSeconds);

    public void AppendBatchWritten(int appends, bool committed) =>
        appendBatchSize.Record(appends, new KeyValuePair<string, object?>("timely.append_batch.outcome", committed ? "committed" : "failed"));

    public void WebhookSent(WebhookOutcome outcome, TimeSpan elapsed) =>
        webhookRequests.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("timely.webhook.outcome", outcome switch
        {
            WebhookOutcome.Acknowledged => "acknowledged",
            WebhookOutcome.Failed => "failed",
            _ => "gone",
        }));

    public void WebhookEndpointDisabled() => webhookEndpointsDisabled.Add(1);

    /// <summary>Rows an erasure removed; <paramref name="retention"/>: run by the retention policy, else by EraseContact.</summary>
    public void Erased(bool retention, long conversations, long messages)
    {
        var reason = new KeyValuePair<string, object?>("timely.erasure.reason", retention ? "retention" : "contact");
        if (conversations > 0)
        {
            erasedConversations.Add(conversations, reason);
        }
        if (messages > 0)
        {
            erasedMessages.Add(messages, reason);
        }
    }

    /// <summary>The latest periodic count: conversations by status, events retained, how late retention is.</summary>
    public void Counted(IReadOnlyDictionary<ConversationStatus, long> byStatus, long events, TimeSpan retentionBehind)
    {
        conversations = [.. Enum.GetValues<ConversationStatus>().Select(s =>
            new Measurement<long>(byStatus.GetValueOrDefault(s), new KeyValuePair<string, object?>("timely.conversation.status", Names.Of(s))))];
        eventLogSize = [new Measurement<long>(events)];
        retentionLag = [new Measurement<double>(Math.Max(0, retentionBehind.TotalSeconds))];
    }

    private static KeyValuePair<string, object?> Tag(StreamKind kind) =>
        new("timely.stream.kind", kind == StreamKind.Messages ? "stream_messages" : "watch_conversations");
}

public enum StreamKind
{
    Messages,
    Watch,
}

public enum WebhookOutcome
{
    Acknowledged,
    Failed,
    Gone,
}

public enum LimitKind
{
    Requests,
    Streams,
    FailedAuthentications,
}
