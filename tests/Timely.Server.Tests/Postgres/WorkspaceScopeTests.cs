using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Timely.Conversations.V1;
using Timely.Server.Inactivity;
using Timely.Server.Storage;
using Timely.Server.Webhooks;
using Timely.Server.Auth;
using Grpc.Core.Interceptors;
using WebhookEndpoint = Timely.Conversations.V1.WebhookEndpoint;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Postgres;

/// <summary>Every statement the PostgreSQL store runs on tenant data is scoped by workspace, so it would
/// route to one shard with the tables distributed by workspace (docs/scaling.md). The SQL is recorded
/// from Npgsql's own command log while every RPC, the sweeper and retention run.</summary>
public sealed partial class WorkspaceScopeTests
{
    private static readonly string[] TenantTables =
    [
        "conversations", "conversation_tags", "conversation_search", "messages", "events", "request_ids", "inbound_messages", "webhook_endpoints", "webhook_deliveries",
        "erasures", "erasure_items", "retention_policies", "message_revisions", "read_horizons",
    ];

    // Maintenance that scans every workspace on purpose (on Citus it fans out to every shard).
    private static readonly string[] CrossWorkspaceMaintenance =
    [
        "SELECT workspace, id FROM conversations WHERE status = ",        // the inactivity sweeper's candidates
        "SELECT tx, id, occurred_at FROM events c WHERE (c.tx, c.id) > ", // retention, from the oldest event
        "DELETE FROM events WHERE (tx, id) <= ",                          // retention
        "DELETE FROM request_ids WHERE (workspace, request_id) IN ",      // retention
        "DELETE FROM inbound_messages WHERE (workspace, channel_id, external_id) IN ",
        "SELECT status, COUNT(*) FROM conversations GROUP BY status",      // the gauges' periodic count (Metrics:GaugeInterval)
        "SELECT (SELECT COUNT(*) FROM events), ",                          // the same, of the event log
        "SELECT workspace, id FROM webhook_endpoints WHERE enabled = 1",   // the webhook dispatcher's round
        "DELETE FROM webhook_deliveries WHERE created_at < ",              // webhook delivery retention
        "SELECT workspace, id FROM erasures WHERE state = 1",              // erasures whose replica stopped
        "SELECT workspace, closed_conversation_days, updated_at FROM retention_policies WHERE closed_conversation_days > 0",   // the retention sweeper's round
    ];

    [SkippableFact]
    public async Task EveryStatementOnTenantDataIsScopedByWorkspace()
    {
        Skip.If(TestDatabase.PostgresServer is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        using var server = new RecordingServer();
        var client = server.Client;
        _ = server.Channel;
        server.Statements.Clear();   // migrations and start-up

        await RunEveryRpcAsync(server, client);
        await RunEveryWebhookRpcAsync(server);
        await RunEveryDataRpcAsync(server, client);

        var tenantStatements = server.Statements.SelectMany(Split).Distinct()
            .Where(sql => TenantTables.Any(t => Regex.IsMatch(sql, $@"\b{t}\b")))
            .Where(sql => !CrossWorkspaceMaintenance.Any(sql.StartsWith))
            .ToList();
        Assert.True(tenantStatements.Count > 15, $"too few statements recorded: {tenantStatements.Count}");
        Assert.All(tenantStatements, sql => Assert.True(ScopedByWorkspace(sql), $"not scoped by workspace: {sql}"));
    }

    private static bool ScopedByWorkspace(string sql) =>
        sql.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)
            ? Regex.IsMatch(sql, @"^INSERT INTO \w+ \([^)]*\bworkspace\b")
            : Regex.IsMatch(sql, @"\bworkspace = (@|\$)\w+");

    private static IEnumerable<string> Split(string commandText) =>
        commandText.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static async Task RunEveryRpcAsync(RecordingServer server, ConversationService.ConversationServiceClient client)
    {
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent, tags: "vip");
        await client.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = agent, ChannelId = NewId(), ContactId = NewId(), RequestId = NewId(),
        });
        await client.GetConversationAsync(new GetConversationRequest { Id = conversation.Id });
        await client.ListConversationsAsync(new ListConversationsRequest
        {
            AgentId = agent, Statuses = { ConversationStatus.Open }, Tag = "vip", ChannelId = conversation.ChannelId,
            ContactId = conversation.ContactId, PageSize = 1,
        });
        var page = await client.ListConversationsAsync(new ListConversationsRequest { PageSize = 1 });
        await client.ListConversationsAsync(new ListConversationsRequest { PageSize = 1, PageToken = page.NextPageToken });
        var updated = await client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = conversation.Id, Subject = "changed", Tags = { "a", "b" } },
        });
        await client.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversation.Id, SenderType = SenderType.AiAgent, Content = "hi", RequestId = NewId(),
        });
        var human = NewId();
        var handed = await client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = human, Etag = "" });
        await client.SendAsync(conversation.Id, SenderType.HumanAgent, "a human", senderId: human);
        await client.ResumeConversationAsync(new ResumeConversationRequest { Id = conversation.Id });
        var ingest = new IngestCustomerMessageRequest
        {
            ChannelId = conversation.ChannelId, ContactId = conversation.ContactId, AgentId = agent, Content = "from the channel",
            ExternalId = "ext-1", RequestId = NewId(),
        };
        await client.IngestCustomerMessageAsync(ingest);
        await client.IngestCustomerMessageAsync(ingest);   // a retry: the earlier result
        var newContact = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = NewId(), AgentId = agent, Content = "a new contact",
        });
        await client.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversation.Id, PageSize = 1 });
        var hits = await client.SearchMessagesAsync(new SearchMessagesRequest { Query = "a -x", AgentId = agent, PageSize = 1 });
        await client.SearchMessagesAsync(new SearchMessagesRequest { Query = "a -x", AgentId = agent, PageSize = 1, PageToken = hits.NextPageToken });
        var found = await client.SearchConversationsAsync(new SearchConversationsRequest { Query = "a -x", AgentId = agent, PageSize = 1 });
        await client.SearchConversationsAsync(new SearchConversationsRequest { Query = "a -x", AgentId = agent, PageSize = 1, PageToken = found.NextPageToken });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using (var stream = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token))
        {
            Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        }
        using (var watch = client.WatchConversations(new WatchConversationsRequest { AgentId = agent, AfterCursor = "" }, cancellationToken: timeout.Token))
        {
            var next = watch.ResponseStream.MoveNext(timeout.Token);
            for (var touch = 0; !next.IsCompleted && touch < 100; touch++)
            {
                await client.SendAsync(conversation.Id, SenderType.Customer, $"touch {touch}");
                await Task.WhenAny(next, Task.Delay(100, timeout.Token));
            }
            Assert.True(await next);
        }
        var answer = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "anything else?")).Message;
        await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, MessageId = answer.Id, ExternalId = "out-1", Status = DeliveryStatus.Sent,
        });
        await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest { ConversationId = conversation.Id, ExternalId = "out-1", Status = DeliveryStatus.Read });
        await client.MarkReadAsync(new MarkReadRequest
        {
            ConversationId = conversation.Id, ParticipantType = ReadParticipantType.HumanAgent, ParticipantId = human, UpToSequence = 1,
        });
        await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, UnreadFor = human, OnlyUnread = true });
        await client.EditMessageAsync(new EditMessageRequest { ConversationId = conversation.Id, MessageId = answer.Id, Content = "more?", EditorType = SenderType.AiAgent });
        await client.GetMessageAsync(new GetMessageRequest { ConversationId = conversation.Id, MessageId = answer.Id });
        await client.ListMessageRevisionsAsync(new ListMessageRevisionsRequest { ConversationId = conversation.Id, MessageId = answer.Id });
        await client.RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = answer.Id });
        // A redaction that also erases the automatic subject the message gave its conversation.
        await client.RedactMessageAsync(new RedactMessageRequest { ConversationId = newContact.Conversation.Id, MessageId = newContact.Message.Id });
        using (var updates = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, AfterSequence = 1, IncludeUpdates = true },
            cancellationToken: timeout.Token))
        {
            Assert.True(await updates.ResponseStream.MoveNext(timeout.Token));
        }
        server.Clock!.Advance(TimeSpan.FromDays(3));
        await server.GetService<InactivitySweeper>().SweepOnceAsync(CancellationToken.None);
        await server.GetService<EventLog>().PruneAsync(server.Clock.GetUtcNow(), CancellationToken.None);
        await client.CloseConversationAsync(new CloseConversationRequest { Id = (await client.CreateAsync(agentId: agent)).Id });
    }

    private static async Task RunEveryDataRpcAsync(RecordingServer server, ConversationService.ConversationServiceClient client)
    {
        var data = new DataService.DataServiceClient(server.Channel.CreateCallInvoker().Intercept(m =>
        {
            m.Add("authorization", "Bearer " + server.AdminKey);
            return m;
        }));
        var contact = NewId();
        var conversation = await client.CreateAsync(contactId: contact, tags: "vip");
        await client.SendAsync(conversation.Id, SenderType.Customer, "to erase");
        var erasure = (await data.EraseContactAsync(new EraseContactRequest { ContactId = contact })).Erasure;
        await Eventually(async () => (await data.GetErasureAsync(new GetErasureRequest { Id = erasure.Id })).Erasure.State == ErasureState.Succeeded, "the erasure");
        await data.ListErasuresAsync(new ListErasuresRequest());
        await data.UpdateRetentionPolicyAsync(new UpdateRetentionPolicyRequest { Policy = new RetentionPolicy { ClosedConversationDays = 1 } });
        await data.GetRetentionPolicyAsync(new GetRetentionPolicyRequest());
        await server.GetService<Server.DataLifecycle.RetentionSweeper>().SweepOnceAsync(CancellationToken.None);
        using var export = data.ExportConversations(new ExportConversationsRequest { AfterCursor = "" });
        while (await export.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }

    private static async Task RunEveryWebhookRpcAsync(RecordingServer server)
    {
        var webhooks = new WebhookService.WebhookServiceClient(server.Channel.CreateCallInvoker().Intercept(m =>
        {
            m.Add("authorization", "Bearer " + server.AdminKey);
            return m;
        }));
        var created = await webhooks.CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Url = "https://webhooks.invalid/hook", Enabled = true },
        });
        var id = created.Endpoint.Id;
        await webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = id });
        var page = await webhooks.ListWebhookEndpointsAsync(new ListWebhookEndpointsRequest { PageSize = 1 });
        await webhooks.ListWebhookEndpointsAsync(new ListWebhookEndpointsRequest { PageSize = 1, PageToken = page.NextPageToken });
        await webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Id = id, EventTypes = { ConversationEventType.Created } }, UpdateMask = new() { Paths = { "event_types" } },
        });
        await webhooks.RotateWebhookSecretAsync(new RotateWebhookSecretRequest { Id = id });
        var conversation = await server.Client.CreateAsync();
        var dispatcher = server.GetService<WebhookDispatcher>();
        ListWebhookDeliveriesResponse deliveries;
        // Reads, enqueues, fails to send; again while the event is not final yet (an older transaction of
        // another test on the same PostgreSQL server is still running).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await dispatcher.WorkAsync(Workspaces.Default, Guid.Parse(id), CancellationToken.None);
            var listed = await webhooks.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { EndpointId = id, PageSize = 1 });
            if (listed.Deliveries.Count > 0 || DateTime.UtcNow > deadline)
            {
                deliveries = listed;
                break;
            }
            await Task.Delay(50);
        }
        Assert.NotEmpty(deliveries.Deliveries);
        await webhooks.RedeliverWebhookEventsAsync(new RedeliverWebhookEventsRequest { EndpointId = id, AfterCursor = deliveries.Deliveries[0].EventCursor });
        await webhooks.SendTestWebhookEventAsync(new SendTestWebhookEventRequest { EndpointId = id });
        await server.GetService<WebhookStore>().PruneAsync(server.Clock!.GetUtcNow(), CancellationToken.None);
        await webhooks.DeleteWebhookEndpointAsync(new DeleteWebhookEndpointRequest { Id = id });
        _ = conversation;
    }

    /// <summary>A server on PostgreSQL that records the SQL of every command Npgsql runs.</summary>
    private sealed class RecordingServer() : TimelyServer(new FakeTimeProvider(DateTimeOffset.UtcNow), new Dictionary<string, string?>
    {
        ["Lifecycle:SweepInterval"] = "1.00:00:00",
        ["Logging:LogLevel:Npgsql.Command"] = "Debug",
    })
    {
        public ConcurrentQueue<string> Statements { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(logging => logging.AddProvider(new CommandRecorder(Statements)));
        }
    }

    private sealed class CommandRecorder(ConcurrentQueue<string> statements) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => categoryName == "Npgsql.Command" ? this : NullLogger;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    if (key is "CommandText" or "BatchCommands" && value is not null)
                    {
                        statements.Enqueue(value is string text ? text : value is IEnumerable<object> many ? string.Join(";", many) : value.ToString()!);
                    }
                }
            }
        }

        public void Dispose() { }

        private static readonly ILogger NullLogger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }
}
