using Grpc.Core;
using Npgsql;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Postgres;

/// <summary>Two server processes on one PostgreSQL database: live feeds cross replicas through
/// LISTEN/NOTIFY, survive the loss of the listening connection, and background sweeps run on both.
/// Alone, not beside other suites: one test holds a transaction open, and every watcher and retention
/// run on the PostgreSQL server waits for the oldest transaction (docs/scaling.md).</summary>
[Collection(nameof(ReplicaTests))]
public sealed class ReplicaTests : IDisposable
{
    private readonly TestDatabase? database = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();
    private readonly List<Replica> replicas = [];

    [SkippableFact]
    public async Task MessagesWrittenOnOneReplicaReachSubscribersOnAnotherExactlyOnce()
    {
        var (a, b) = await TwoReplicas();
        var conversation = await b.Client.CreateAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var stream = a.Client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);
        using var watch = a.Client.WatchConversations(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = await CursorNow(a, conversation.Id) },
            cancellationToken: timeout.Token);

        // Writers on both replicas at once: sequences stay 1..N with no gap and no repeat.
        var writers = Task.WhenAll(Writers(b, conversation.Id, writers: 3, each: 100), Writers(a, conversation.Id, writers: 1, each: 100));
        var received = await Read(stream, 400, timeout.Token);
        await writers;

        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), received);
        var events = new List<long>();
        while (events.Count < 400 && await watch.ResponseStream.MoveNext(timeout.Token))
        {
            if (watch.ResponseStream.Current.Event.Type == ConversationEventType.MessageAdded)
            {
                events.Add(watch.ResponseStream.Current.Event.Message.Sequence);
            }
        }
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), events);
    }

    [SkippableFact]
    public async Task ConcurrentIngestOnTwoReplicasFromOneNewContactCreatesOneConversation()
    {
        var (a, b) = await TwoReplicas();
        var (channel, contact, agent) = (NewId(), NewId(), NewId());
        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            await (i % 2 == 0 ? a : b).Client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
            {
                ChannelId = channel, ContactId = contact, AgentId = agent, Content = $"hello {i}",
            }))));
        Assert.Single(responses.Select(r => r.Conversation.Id).Distinct());
        Assert.Single(responses, r => r.ConversationCreated);
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), responses.Select(r => r.Message.Sequence).Order());
    }

    [SkippableFact]
    public async Task ConcurrentInboundMessagesOnTwoReplicasToAnOpenConversationAreEachWrittenOnce()
    {
        // Both replicas write them in append batches: each new channel message once, a redelivery sent to both
        // replicas at the same moment once (the other's batch sees its record, or fails on its key and is written again).
        var (a, b) = await TwoReplicas();
        var (channel, contact, agent) = (NewId(), NewId(), NewId());
        Task<IngestCustomerMessageResponse> Deliver(int i, string externalId) => Task.Run(async () =>
            await (i % 2 == 0 ? a : b).Client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
            {
                ChannelId = channel, ContactId = contact, AgentId = agent, Content = $"message {externalId}", ExternalId = externalId,
            }).ResponseAsync);
        var first = await Deliver(0, "first");

        var fresh = Enumerable.Range(0, 24).Select(i => Deliver(i, $"new-{i}")).ToList();
        var redelivered = Enumerable.Range(0, 8).Select(i => Deliver(i, "again")).ToList();
        var answers = await Task.WhenAll(fresh.Concat(redelivered));

        Assert.Single(answers.Select(r => r.Conversation.Id).Append(first.Conversation.Id).Distinct());
        Assert.Single((await Task.WhenAll(redelivered)).Select(r => r.Message.Id).Distinct());
        Assert.Equal(1, (await Task.WhenAll(redelivered)).Count(r => !r.Duplicate));
        var messages = await a.Client.AllMessagesAsync(first.Conversation.Id);
        Assert.Equal(Enumerable.Range(1, 26).Select(i => (long)i), messages.Select(m => m.Sequence));
        Assert.Equal(26, messages.Select(m => m.Content).Distinct().Count());
    }

    [SkippableFact]
    public async Task KillingTheListeningConnectionMidStreamLosesNothing()
    {
        // A long safety poll: recovery has to come from the listener reconnecting.
        var (a, b) = await TwoReplicas(new Dictionary<string, string> { ["Feeds:PollInterval"] = "00:05:00" });
        var conversation = await b.Client.CreateAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var stream = a.Client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);

        var writing = Task.Run(async () =>
        {
            for (var round = 0; round < 3; round++)
            {
                await Writers(b, conversation.Id, writers: 2, each: 50);
                Assert.True(await TerminateListeners() >= 2, "each replica has a listening connection to kill");
            }
            await Writers(b, conversation.Id, writers: 2, each: 50);
        });
        var received = await Read(stream, 400, timeout.Token);
        await writing;

        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), received);
    }

    [SkippableFact]
    public async Task AWatcherSeesAnEventThatCommitsLateOnceAndEachConversationInOrder()
    {
        // Writers on two replicas take no common lock: an event can commit after events with higher ids
        // are visible. A slow transaction holds one (a copy of a real event, so it reads like one) open
        // while both replicas write two conversations; the watcher must still get every event once,
        // the late one included, and each conversation's messages in sequence order.
        var (a, b) = await TwoReplicas();
        var agent = NewId();
        var first = await a.Client.CreateAsync(agentId: agent);
        var second = await b.Client.CreateAsync(agentId: agent);
        var cursor = await CursorNow(a, first.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var watch = b.Client.WatchConversations(new WatchConversationsRequest { AgentId = agent, AfterCursor = cursor }, cancellationToken: timeout.Token);

        await using var slow = new NpgsqlConnection(database!.ConnectionString);
        await slow.OpenAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO events (workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation) " +
            "SELECT workspace, conversation_id, agent_id, channel_id, 3, occurred_at, status, old_status, message_id, conversation " +
            "FROM events WHERE conversation_id = @Id ORDER BY id LIMIT 1", slow, slowTransaction))
        {
            insert.Parameters.AddWithValue("Id", second.Id);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }
        // Short: every watcher on this PostgreSQL server waits for the oldest running transaction.
        await Task.WhenAll(Writers(a, first.Id, writers: 2, each: 8), Writers(b, second.Id, writers: 2, each: 8),
            Writers(a, second.Id, writers: 1, each: 8), Writers(b, first.Id, writers: 1, each: 8));
        await slowTransaction.CommitAsync();
        await a.Client.SendAsync(first.Id, SenderType.AiAgent, "last");

        var events = new List<ConversationEvent>();
        while (!events.Any(e => e.Message?.Content == "last") && await watch.ResponseStream.MoveNext(timeout.Token))
        {
            events.Add(watch.ResponseStream.Current.Event);
        }
        Assert.Equal(events.Count, events.Select(e => e.Cursor).Distinct().Count());
        Assert.Single(events, e => e.Type == ConversationEventType.Updated && e.Conversation.Id == second.Id);
        foreach (var (conversation, count) in new[] { (first.Id, 25), (second.Id, 24) })
        {
            var sequences = events.Where(e => e.Type == ConversationEventType.MessageAdded && e.Conversation.Id == conversation).Select(e => e.Message.Sequence);
            Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), sequences);
        }
    }

    [SkippableFact]
    public async Task AWatchFromThePresentStartsAfterWhatCommittedBeforeItWhileAnOlderTransactionRuns()
    {
        // An older transaction still running holds the log's head back: what commits meanwhile is committed
        // but not final yet. A watch from the present must not deliver it as new once it becomes final.
        var (a, b) = await TwoReplicas();
        var agent = NewId();
        await using var slow = new NpgsqlConnection(database!.ConnectionString);
        await slow.OpenAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await using (var takeId = new NpgsqlCommand("SELECT pg_current_xact_id()", slow, slowTransaction))
        {
            await takeId.ExecuteScalarAsync();   // a transaction id below everything written next
        }
        var conversation = await a.Client.CreateAsync(agentId: agent);
        await a.Client.SendAsync(conversation.Id, SenderType.Customer, "before the watch");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var watch = b.Client.WatchConversations(new WatchConversationsRequest { AgentId = agent }, cancellationToken: timeout.Token);
        await watch.ResponseHeadersAsync;
        await slowTransaction.CommitAsync();
        await a.Client.SendAsync(conversation.Id, SenderType.AiAgent, "after the watch");

        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal("after the watch", watch.ResponseStream.Current.Event.Message?.Content);
    }

    [SkippableFact]
    public async Task SweepsOnTwoReplicasChangeEachConversationOnceWithOneEvent()
    {
        var fast = new Dictionary<string, string>
        {
            ["Lifecycle:WaitingAfter"] = "00:00:01",
            ["Lifecycle:CloseAfter"] = "01:00:00",
            ["Lifecycle:SweepInterval"] = "00:00:00.100",
        };
        var (a, b) = await TwoReplicas(fast);
        var agent = NewId();
        var cursor = await CursorNow(a, (await a.Client.CreateAsync(agentId: agent)).Id);
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var c = await (i % 2 == 0 ? a : b).Client.CreateAsync(agentId: agent);
            await a.Client.SendAsync(c.Id, SenderType.AiAgent, "Anything else?");
            ids.Add(c.Id);
        }
        await Eventually(async () =>
        {
            var page = await a.Client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, Statuses = { ConversationStatus.Waiting }, PageSize = 100 });
            return page.Conversations.Count == 20;
        }, "every conversation to become waiting", seconds: 30);
        await Task.Delay(1000);   // both sweepers keep running; nothing more may happen

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var watch = b.Client.WatchConversations(new WatchConversationsRequest { AgentId = agent, AfterCursor = cursor }, cancellationToken: timeout.Token);
        var statusChanges = new List<string>();
        try
        {
            while (await watch.ResponseStream.MoveNext(timeout.Token))
            {
                if (watch.ResponseStream.Current.Event.Type == ConversationEventType.StatusChanged)
                {
                    statusChanges.Add(watch.ResponseStream.Current.Event.Conversation.Id);
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            // The log is read to its end; the watch then waits for more.
        }
        Assert.Equal(ids.Order(), statusChanges.Order());
    }

    [SkippableFact]
    public async Task TwoReplicasStartingAtOnceOnAFreshDatabaseBothStart()
    {
        Skip.If(database is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        // Replicas share their configuration, bootstrap key included. Whether their registrations of
        // the key overlap is down to timing; Auth/KeyManagementTests makes them overlap every time.
        var settings = new Dictionary<string, string> { ["Auth:BootstrapAdminKey"] = Timely.Server.Auth.ApiKeySecrets.NewSecret() };
        var (a, b) = (new Replica(database.ConnectionString, settings), new Replica(database.ConnectionString, settings));
        replicas.AddRange([a, b]);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var conversation = await a.Client.CreateAsync();
        Assert.Equal(conversation.Id, (await b.Client.GetAsync(conversation.Id)).Id);
    }

    public void Dispose()
    {
        replicas.ForEach(r => r.Dispose());
        database?.Dispose();
    }

    private async Task<(Replica A, Replica B)> TwoReplicas(IDictionary<string, string>? settings = null)
    {
        Skip.If(database is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        var a = new Replica(database.ConnectionString, settings);
        replicas.Add(a);
        await a.StartAsync();
        var b = new Replica(database.ConnectionString, settings);
        replicas.Add(b);
        await b.StartAsync();
        return (a, b);
    }

    private async Task<int> TerminateListeners()
    {
        await using var connection = new NpgsqlConnection(database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'timely-listener' AND datname = current_database()", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    private static Task Writers(Replica replica, string conversationId, int writers, int each) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < each; i++)
            {
                await replica.Client.SendAsync(conversationId, SenderType.Customer, $"{w}/{i}");
            }
        })));

    private static async Task<List<long>> Read(AsyncServerStreamingCall<StreamMessagesResponse> stream, int count, CancellationToken ct)
    {
        var sequences = new List<long>();
        while (sequences.Count < count && await stream.ResponseStream.MoveNext(ct))
        {
            sequences.Add(stream.ResponseStream.Current.Message.Sequence);
        }
        return sequences;
    }

    /// <summary>A cursor at the present: watch the conversation from now and touch it until the watch
    /// shows the change.</summary>
    private static async Task<string> CursorNow(Replica replica, string conversationId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = replica.Client.WatchConversations(new WatchConversationsRequest { ConversationId = conversationId }, cancellationToken: timeout.Token);
        var next = watch.ResponseStream.MoveNext(timeout.Token);
        for (var touch = 0; !next.IsCompleted; touch++)
        {
            await replica.Client.UpdateConversationAsync(new UpdateConversationRequest
            {
                Conversation = new Conversation { Id = conversationId, Subject = $"touch {touch}" },
            });
            await Task.WhenAny(next, Task.Delay(100, timeout.Token));
        }
        Assert.True(await next);
        return watch.ResponseStream.Current.Event.Cursor;
    }
}

[CollectionDefinition(nameof(ReplicaTests), DisableParallelization = true)]
public sealed class ReplicaCollection;
