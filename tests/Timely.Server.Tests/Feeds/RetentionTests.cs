using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Storage;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

public sealed class RetentionTests(ClockedServer server) : IClassFixture<ClockedServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task CursorPastRetentionIsOutOfRangeAndAFreshOneWorks()
    {
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent);
        await client.SendAsync(conversation.Id, SenderType.Customer, "old news");
        var old = await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = "" }, trigger: () =>
            client.SendAsync(conversation.Id, SenderType.Customer, "still old"));
        await client.SendAsync(conversation.Id, SenderType.Customer, "after the cursor, before retention");

        server.Clock!.Advance(TimeSpan.FromDays(8));
        await Prune(TimeSpan.FromDays(7));
        await client.SendAsync(conversation.Id, SenderType.Customer, "new");

        // On PostgreSQL retention deletes only events that are final: a transaction still running anywhere in the
        // shared test cluster can hold the log back for a moment (it failed CI once), so prune until the cursor is past.
        RpcException? error = null;
        await Eventually(async () =>
        {
            await Prune(TimeSpan.FromDays(7));
            error = await WatchRefusal(conversation.Id, old.Cursor);
            return error is not null;
        }, "retention to delete the events after the cursor", seconds: 30);
        Assert.Equal(StatusCode.OutOfRange, error!.StatusCode);
        Assert.Contains("retention", error.Status.Detail);

        // Listing again and watching from the present works.
        var fresh = await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id }, trigger: () =>
            client.SendAsync(conversation.Id, SenderType.AiAgent, "fresh"));
        Assert.Equal("fresh", fresh.Message.Content);
    }

    [Fact]
    public async Task MessagesOutliveEventRetention()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "kept");
        server.Clock!.Advance(TimeSpan.FromDays(30));
        await server.GetService<EventLog>().PruneAsync(server.Clock.GetUtcNow() - TimeSpan.FromDays(7), CancellationToken.None);
        Assert.Equal("kept", (await client.AllMessagesAsync(conversation.Id)).Single().Content);
    }

    [Fact]
    public async Task WatchingFromThePresentWorksAfterRetentionEmptiedTheLog()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "long ago");
        server.Clock!.Advance(TimeSpan.FromDays(30));
        await Prune(TimeSpan.FromDays(7));   // every event is older: the log is empty

        var fresh = await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id }, trigger: () =>
            client.SendAsync(conversation.Id, SenderType.AiAgent, "after the purge"));
        Assert.Equal("after the purge", fresh.Message.Content);
    }

    [Fact]
    public async Task AnEventStampedByALaggingClockDoesNotCarryNewerEventsAway()
    {
        // A replica whose clock lags writes an event stamped long ago between recent ones: retention
        // deletes the log only up to the first event that is not old enough.
        var conversation = await client.CreateAsync();
        var cursor = (await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = "" }, trigger: () =>
            client.SendAsync(conversation.Id, SenderType.Customer, "recent"))).Cursor;
        await client.SendAsync(conversation.Id, SenderType.Customer, "also recent");
        await using (var connection = await server.GetService<StoreDialect>().OpenAsync(CancellationToken.None))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "INSERT INTO events (workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation) " +
                "SELECT workspace, conversation_id, agent_id, channel_id, 3, 0, status, old_status, NULL, conversation FROM events WHERE conversation_id = @Id ORDER BY id LIMIT 1",
                new { conversation.Id });
        }
        await client.SendAsync(conversation.Id, SenderType.Customer, "newest");
        await Prune(TimeSpan.FromDays(1));

        var resumed = await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = cursor }, trigger: () => Task.CompletedTask);
        Assert.Contains(resumed.Message.Content, new[] { "recent", "also recent" });   // not OUT_OF_RANGE: the newer events are kept
    }

    [Fact]
    public async Task RetentionDeletesMoreThanOneBatchAndForgetsOldInboundIds()
    {
        var channel = NewId();
        var inbound = new IngestCustomerMessageRequest { ChannelId = channel, ContactId = NewId(), AgentId = NewId(), Content = "hi", ExternalId = "wamid.1" };
        var first = await client.IngestCustomerMessageAsync(inbound);
        var conversation = await client.CreateAsync();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 160; i++)
            {
                await client.SendAsync(conversation.Id, SenderType.Customer, $"{w}/{i}");
            }
        })));
        server.Clock!.Advance(TimeSpan.FromDays(30));
        await Prune(TimeSpan.FromDays(7));   // 1,280+ events: more than one batch of 1,000

        var fresh = await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = "" }, trigger: () =>
            client.SendAsync(conversation.Id, SenderType.Customer, "the only event left"));
        Assert.Equal("the only event left", fresh.Message.Content);
        var again = await client.IngestCustomerMessageAsync(inbound);   // the dedupe record expired with the log
        Assert.False(again.Duplicate);
        Assert.NotEqual(first.Message.Id, again.Message.Id);
    }

    /// <summary>The error a watch of the conversation from <paramref name="cursor"/> ends with, or null when it
    /// delivers an event (or none yet, held back like the pruning).</summary>
    private async Task<RpcException?> WatchRefusal(string conversationId, string cursor)
    {
        try
        {
            using var call = client.WatchConversations(new WatchConversationsRequest { ConversationId = conversationId, AfterCursor = cursor },
                deadline: DateTime.UtcNow.AddSeconds(2));
            await call.ResponseStream.MoveNext(CancellationToken.None);
            return null;
        }
        catch (RpcException e)
        {
            return e.StatusCode == StatusCode.DeadlineExceeded ? null : e;
        }
    }

    private Task Prune(TimeSpan retention) =>
        server.GetService<EventLog>().PruneAsync(server.Clock!.GetUtcNow() - retention, CancellationToken.None);

    /// <summary>Opens the watch, keeps triggering until an event arrives, returns the first one.</summary>
    private async Task<ConversationEvent> FirstEvent(WatchConversationsRequest request, Func<Task> trigger)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = client.WatchConversations(request, cancellationToken: timeout.Token);
        var next = call.ResponseStream.MoveNext(timeout.Token);
        // On PostgreSQL a transaction still running anywhere in the cluster (the shared test cluster's other databases
        // included) holds back what a watch may read, until it ends.
        for (var attempt = 0; attempt < 250; attempt++)
        {
            await trigger();
            if (await Task.WhenAny(next, Task.Delay(100, timeout.Token)) == next)
            {
                Assert.True(await next);
                return call.ResponseStream.Current.Event;
            }
        }
        throw new Xunit.Sdk.XunitException("no event arrived" + await RunningTransactionsAsync());
    }

    /// <summary>On PostgreSQL, the transactions running in the cluster (what holds a watch back), for the failure message.</summary>
    private static async Task<string> RunningTransactionsAsync()
    {
        if (TestDatabase.PostgresServer is not { } postgres)
        {
            return "";
        }
        await using var connection = new Npgsql.NpgsqlConnection(postgres);
        await connection.OpenAsync();
        var rows = await Dapper.SqlMapper.QueryAsync<(string?, string?, string?, DateTime?, string?, string?)>(connection,
            "SELECT datname, backend_xid::text, backend_xmin::text, xact_start, state, left(query, 200) FROM pg_stat_activity " +
            "WHERE backend_xid IS NOT NULL OR backend_xmin IS NOT NULL ORDER BY xact_start");
        return "; running: " + string.Join(" | ", rows.Select(r => $"{r.Item1} xid={r.Item2} xmin={r.Item3} since {r.Item4:HH:mm:ss.fff} {r.Item5}: {r.Item6}")) +
            $"; now {DateTime.Now:HH:mm:ss.fff}";
    }
}
