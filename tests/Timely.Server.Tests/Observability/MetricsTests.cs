using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Testing;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Observability;

/// <summary>/metrics after a scripted workload: each of the service's metrics, with the values the workload
/// implies; the scrape key; the Grafana dashboard's queries. One server and one workload for the class.</summary>
[Collection(nameof(ObservedServer))]
public sealed class MetricsTests(MetricsTests.Workload workload) : IClassFixture<MetricsTests.Workload>
{
    private const string ScrapeKey = "scrape-key-0123456789abcdef";

    [Fact]
    public async Task MetricsMatchTheWorkload()
    {
        var m = await workload.ScrapeAsync();

        // 7 messages stored: a retried SendMessage with the same request id stored nothing new.
        Assert.Equal(4, m.Sum("timely_messages_written_total", "timely_sender_type=customer"));
        Assert.Equal(2, m.Sum("timely_messages_written_total", "timely_sender_type=ai_agent"));
        Assert.Equal(1, m.Sum("timely_messages_written_total", "timely_sender_type=human_agent"));

        Assert.Equal(2, m.Sum("timely_conversations", "timely_conversation_status=open"));
        Assert.Equal(1, m.Sum("timely_conversations", "timely_conversation_status=human"));
        Assert.Equal(1, m.Sum("timely_conversations", "timely_conversation_status=closed"));
        Assert.Equal(0, m.Sum("timely_conversations", "timely_conversation_status=waiting"));
        Assert.Equal(1, m.Sum("timely_sweeper_transitions_total", "timely_conversation_status=waiting"));
        Assert.Equal(1, m.Sum("timely_sweeper_transitions_total", "timely_conversation_status=closed"));

        Assert.Equal(1, m.Sum("timely_streams_open", "timely_stream_kind=stream_messages"));
        Assert.Equal(1, m.Sum("timely_streams_open", "timely_stream_kind=watch_conversations"));
        Assert.Equal(1, m.Sum("timely_rate_limit_rejections_total", "timely_limit=streams"));

        // The message stream went live before the three messages of its conversation were sent.
        Assert.Equal(3, m.Sum("timely_delivery_lag_seconds_count", "timely_stream_kind=stream_messages"));
        Assert.InRange(m.Sum("timely_delivery_lag_seconds_sum", "timely_stream_kind=stream_messages") ?? -1, 0, 3 * workload.Elapsed.TotalSeconds);
        Assert.InRange(m.Sum("timely_delivery_lag_seconds_count", "timely_stream_kind=watch_conversations") ?? 0, 1, workload.Events);

        // The watch, opened on an empty log, received every event there is; retention (1 s) is behind.
        Assert.Equal(workload.Events, m.Sum("timely_event_log_size"));
        Assert.InRange(m.Sum("timely_event_log_retention_lag_seconds") ?? 0, 0.001, workload.Elapsed.TotalSeconds);

        Assert.Equal(7, m.Sum("rpc_server_duration_seconds_count", "rpc_method=SendMessage", "rpc_grpc_status_code=0"));
        Assert.Equal(1, m.Sum("rpc_server_duration_seconds_count", "rpc_method=SendMessage", "rpc_grpc_status_code=3"));
        Assert.Equal(1, m.Sum("rpc_server_duration_seconds_count", "rpc_method=IngestCustomerMessage", "rpc_grpc_status_code=0"));

        var writes = m.Sum("timely_store_transaction_duration_seconds_count", "timely_store_transaction=write");
        Assert.InRange(writes ?? 0, 13, 1000);   // at least the workload's: 3 creates, 7 + 1 appends, 2 sweeps
        Assert.True(m.Sum("timely_store_transaction_duration_seconds_count", "timely_store_transaction=read") > 0);
        // Every append went through an append batch (of one: the workload sends one at a time).
        Assert.InRange(m.Sum("timely_store_append_batch_size_sum", "timely_append_batch_outcome=committed") ?? 0, 7, 1000);
        Assert.Null(m.Sum("timely_store_append_batch_size_count", "timely_append_batch_outcome=failed"));
        if (workload.Server.OnPostgres)
        {
            Assert.Null(m.Sum("timely_store_group_commit_size_count"));
            Assert.Null(m.Sum("timely_store_writer_busy_seconds_total"));
        }
        else
        {
            // Every write went through a group commit: the batches add up to the writes.
            Assert.Equal(writes, m.Sum("timely_store_group_commit_size_sum"));
            Assert.InRange(m.Sum("timely_store_group_commit_size_count") ?? 0, 1, writes ?? 0);
            // One writer, which ran them one group at a time: busy for some of the server's life, never more than all of it.
            Assert.InRange(m.Sum("timely_store_writer_busy_seconds_total") ?? 0, 1e-6, workload.Elapsed.TotalSeconds);
        }

        // The standard server metrics are there too.
        Assert.True(m.Sum("http_server_request_duration_seconds_count") > 0);
        Assert.NotNull(m.Sum("kestrel_active_connections"));
        // Not the framework's per-call counters (ObservabilitySetup.AspNetCoreMeters), though every call of the workload
        // was routed, authenticated, authorized and rate limited.
        Assert.Null(m.Sum("aspnetcore_routing_match_attempts_total"));
        Assert.Null(m.Sum("aspnetcore_authorization_attempts_total"));
        Assert.Null(m.Sum("aspnetcore_rate_limiting_requests_total"));
        Assert.Null(m.Sum("kestrel_queued_requests"));
    }

    [Fact]
    public async Task TheScrapeKeyGuardsMetricsOnTheWebPortOnly()
    {
        await workload.ScrapeAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await workload.Server.GetMetricsAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await workload.Server.GetMetricsAsync("not-" + ScrapeKey)).StatusCode);
        // An API key is not the scrape key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await workload.Server.GetMetricsAsync(workload.Server.AdminKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await workload.Server.GetMetricsAsync(ScrapeKey)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await workload.Server.GetMetricsAsync(ScrapeKey, onGrpcPort: true)).StatusCode);
    }

    [Fact]
    public async Task TheDashboardQueriesMetricsTheScrapeHas()
    {
        var m = await workload.ScrapeAsync();
        var dashboard = JsonDocument.Parse(Repository.ReadFile("deploy/grafana/timely.json"));
        var queries = Expressions(dashboard.RootElement).ToList();
        Assert.True(queries.Count >= 6, "the dashboard has a query for each of its panels");
        var names = m.Names.ToHashSet();
        if (workload.Server.OnPostgres)
        {
            names.UnionWith(SqliteOnly);   // its panel stays empty there, and says so
        }
        foreach (var query in queries)
        {
            var metrics = MetricName().Matches(query).Select(x => x.Value).ToList();
            Assert.True(metrics.Count > 0, $"no metric in {query}");
            Assert.All(metrics, name => Assert.True(names.Contains(name), $"the dashboard queries {name}, which /metrics does not have"));
        }
        Assert.All(SqliteOnly, name => Assert.Contains(queries, q => q.Contains(name, StringComparison.Ordinal)));
    }

    private static IEnumerable<string> Expressions(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return property.Value.GetString()!;
                    }
                    foreach (var e in Expressions(property.Value)) yield return e;
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var e in Expressions(item)) yield return e;
                }
                break;
        }
    }

    /// <summary>Metrics only a SQLite store has, which the dashboard shows all the same.</summary>
    private static readonly string[] SqliteOnly = ["timely_store_writer_busy_seconds_total"];

    // The dashboard selects each metric with its job matcher: metric{job=~"$job"}.
    private static Regex MetricName() => new(@"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\{)");

    /// <summary>The server and the workload, run once: conversations in every status the rules reach, messages
    /// from each sender, a retry, a refused call, two live streams and a third refused by the stream cap.</summary>
    public sealed class Workload : IAsyncLifetime
    {
        private readonly DateTime started = DateTime.UtcNow;
        private readonly CancellationTokenSource streams = new();
        private readonly Task<PrometheusText> ready;

        public Workload()
        {
            Server = new ObservedServer(new Dictionary<string, string>
            {
                ["Metrics:Key"] = ScrapeKey,
                ["Metrics:GaugeInterval"] = "00:00:00.200",
                ["Lifecycle:WaitingAfter"] = "00:00:01",
                ["Lifecycle:CloseAfter"] = "00:00:02",
                ["Lifecycle:SweepInterval"] = "00:00:00.200",
                ["Feeds:EventRetention"] = "00:00:01",
                ["Feeds:PruneInterval"] = "1.00:00:00",
                ["Limits:MaxStreamsPerKey"] = "2",
            });
            ready = RunAsync();
        }

        public ObservedServer Server { get; }

        /// <summary>The events the watch received: every event of the log.</summary>
        public int Events { get; private set; }

        public TimeSpan Elapsed => DateTime.UtcNow - started;

        public Task<PrometheusText> ScrapeAsync() => ready;

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            await streams.CancelAsync();
            Server.Dispose();
        }

        private async Task<PrometheusText> RunAsync()
        {
            var client = Server.Client;
            var watch = client.WatchConversations(new WatchConversationsRequest(), cancellationToken: streams.Token);
            await watch.ResponseHeadersAsync;
            var events = 0;
            _ = Task.Run(async () =>
            {
                await foreach (var _ in watch.ResponseStream.ReadAllAsync(streams.Token))
                {
                    Interlocked.Increment(ref events);
                }
            });

            var a = await client.CreateAsync();
            var b = await client.CreateAsync();
            var c = await client.CreateAsync();
            var messages = client.StreamMessages(new StreamMessagesRequest { ConversationId = a.Id }, cancellationToken: streams.Token);
            await messages.ResponseHeadersAsync;
            var third = client.StreamMessages(new StreamMessagesRequest { ConversationId = b.Id });
            await FailsWith(StatusCode.ResourceExhausted, () => third.ResponseStream.MoveNext());

            var retried = new SendMessageRequest { ConversationId = a.Id, SenderType = SenderType.Customer, Content = "hello", RequestId = NewId() };
            await client.SendMessageAsync(retried);
            await client.SendMessageAsync(retried);
            await client.SendAsync(a.Id, SenderType.AiAgent);
            await client.SendAsync(a.Id, SenderType.Customer);
            await FailsWith(StatusCode.InvalidArgument, () => client.SendAsync(a.Id, SenderType.Customer, content: ""));
            await client.SendAsync(b.Id, SenderType.Customer);
            await client.SendAsync(b.Id, SenderType.HumanAgent, senderId: NewId());
            await client.SendAsync(c.Id, SenderType.AiAgent);
            await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
            {
                ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = "hi", RequestId = NewId(),
            });
            for (var i = 0; i < 3; i++)
            {
                Assert.True(await messages.ResponseStream.MoveNext(streams.Token));
            }

            // C: the agent spoke last; the sweeper makes it waiting, then closes it.
            await Eventually(async () => (await client.GetAsync(c.Id)).Status == ConversationStatus.Closed, "the sweeper to close C");
            // No event comes after that close: the watch's count settles where the log's size is.
            var scrape = await ScrapeUntilAsync(m => m.Sum("timely_event_log_size") == Volatile.Read(ref events)
                && m.Sum("timely_conversations", "timely_conversation_status=closed") == 1);
            Events = Volatile.Read(ref events);
            return scrape;
        }

        private async Task<PrometheusText> ScrapeUntilAsync(Func<PrometheusText, bool> condition)
        {
            PrometheusText? last = null;
            await Eventually(async () =>
            {
                var response = await Server.GetMetricsAsync(ScrapeKey);
                response.EnsureSuccessStatusCode();
                last = new PrometheusText(await response.Content.ReadAsStringAsync());
                return condition(last);
            }, "the gauges to count the workload");
            return last!;
        }
    }
}
