using System.Diagnostics;
using Dapper;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Storage;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.DataLifecycle;

/// <summary>EraseContact: everything of the contact goes (API, database file, event payloads), nothing
/// else does; large erasures do not stall writers; a repeat is a no-op; streams and cursors stay sound.</summary>
public sealed class ErasureTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task ErasedContactLeavesNothingInTheApiOrTheDatabaseAndOtherContactsAreUntouched()
    {
        var (channel, agent, erased, kept) = (NewId(), NewId(), NewId(), NewId());
        var secret = "zebrasecret" + Guid.NewGuid().ToString("N")[..8];
        var other = "okapikept" + Guid.NewGuid().ToString("N")[..8];
        var first = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = channel, ContactId = erased, AgentId = agent, Content = $"My card is {secret}", ExternalId = "wamid-1", RequestId = NewId(),
        });
        await client.SendAsync(first.Conversation.Id, SenderType.AiAgent, $"Noted {secret}");
        await client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = first.Conversation.Id, Tags = { "vip" + secret } },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "tags" } },
        });
        await client.CloseConversationAsync(new CloseConversationRequest { Id = first.Conversation.Id });
        var second = await client.CreateAsync(agentId: agent, contactId: erased, subject: $"About {secret}");
        await client.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = second.Id, SenderType = SenderType.Customer, Content = $"Again {secret}", RequestId = NewId(),
        });
        var keptOne = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = channel, ContactId = kept, AgentId = agent, Content = $"Hello {other}", ExternalId = "wamid-2",
        });
        Assert.True(await server.OccurrencesInDatabaseAsync(secret) > 0, "the check finds text that is there");

        var erasure = await server.EraseAsync(erased);

        Assert.Equal(ErasureReason.Contact, erasure.Reason);
        Assert.Equal(erased, erasure.ContactId);
        Assert.Equal(2, erasure.ConversationsErased);
        Assert.Equal(3, erasure.MessagesErased);
        Assert.True(erasure.EventsScrubbed >= 7, $"scrubbed {erasure.EventsScrubbed} events");
        Assert.True(erasure.RecordsErased >= 4, $"erased {erasure.RecordsErased} other rows");   // tag, dedupe record, two request ids
        Assert.NotNull(erasure.FinishTime);

        foreach (var id in new[] { first.Conversation.Id, second.Id })
        {
            await FailsWith(StatusCode.NotFound, () => client.GetConversationAsync(new GetConversationRequest { Id = id }).ResponseAsync);
            await FailsWith(StatusCode.NotFound, () => client.ListMessagesAsync(new ListMessagesRequest { ConversationId = id }).ResponseAsync);
            await FailsWith(StatusCode.NotFound, () => client.SendAsync(id, SenderType.AiAgent));
        }
        Assert.Empty((await client.ListConversationsAsync(new ListConversationsRequest { ContactId = erased })).Conversations);
        Assert.Empty((await client.SearchMessagesAsync(new SearchMessagesRequest { Query = secret })).Hits);
        Assert.Empty((await client.SearchConversationsAsync(new SearchConversationsRequest { Query = secret })).Conversations);
        using (var export = server.Data().ExportConversations(new ExportConversationsRequest { AgentId = agent }))
        {
            var items = await export.ResponseStream.ReadAllAsync().ToListAsync();
            Assert.Equal([keptOne.Conversation.Id], items.Select(i => i.Conversation.Id).Distinct());
        }
        Assert.Equal(0, await server.OccurrencesInDatabaseAsync(secret));

        // The other contact is untouched, its dedupe record too.
        Assert.Equal($"Hello {other}", Assert.Single(await client.AllMessagesAsync(keptOne.Conversation.Id)).Content);
        Assert.Single((await client.SearchMessagesAsync(new SearchMessagesRequest { Query = other })).Hits);
        var again = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = channel, ContactId = kept, AgentId = agent, Content = "dup", ExternalId = "wamid-2",
        });
        Assert.True(again.Duplicate);

        // The erased contact's dedupe record went with it: the channel's message id is new again.
        var fresh = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = channel, ContactId = erased, AgentId = agent, Content = "back again", ExternalId = "wamid-1",
        });
        Assert.False(fresh.Duplicate);
        Assert.True(fresh.ConversationCreated);
    }

    [Fact]
    public async Task RepeatedErasureIsANoOpAndConcurrentRequestsShareOneErasure()
    {
        var contact = NewId();
        var conversation = await client.CreateAsync(contactId: contact);
        await client.SendAsync(conversation.Id, SenderType.Customer, "hello");

        var data = server.Data();
        var started = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => data.EraseContactAsync(new EraseContactRequest { ContactId = contact }).ResponseAsync));
        var ids = started.Select(s => s.Erasure.Id).Distinct().ToList();
        var first = await server.FinishedAsync(ids[0]);
        var total = 0L;
        foreach (var id in ids)
        {
            total += (await server.FinishedAsync(id)).ConversationsErased;
        }
        Assert.Equal(1, total);

        var repeat = await server.EraseAsync(contact);
        Assert.NotEqual(first.Id, repeat.Id);
        Assert.Equal((0L, 0L, 0L, 0L), (repeat.ConversationsErased, repeat.MessagesErased, repeat.EventsScrubbed, repeat.RecordsErased));

        // The audit trail: who and when, counts, never content.
        var audit = (await data.ListErasuresAsync(new ListErasuresRequest { PageSize = 500 })).Erasures.Where(e => e.ContactId == contact).ToList();
        Assert.Contains(audit, e => e.Id == repeat.Id);
        Assert.All(audit, e => Assert.False(string.IsNullOrEmpty(e.RequestedBy)));
        Assert.All(audit, e => Assert.NotNull(e.CreateTime));
    }

    [Fact]
    public async Task LiveStreamOfAnErasedConversationEndsWithNotFound()
    {
        var contact = NewId();
        var conversation = await client.CreateAsync(contactId: contact);
        await client.SendAsync(conversation.Id, SenderType.Customer, "first");
        using var stream = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None));

        await server.EraseAsync(contact);

        var error = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task WatchResumedFromBeforeTheErasureSeesTombstonesWithoutGapsOrErasedData()
    {
        var (agent, contact) = (NewId(), NewId());
        var secret = "quaggasecret" + Guid.NewGuid().ToString("N")[..8];
        string before;
        using (var live = client.WatchConversations(new WatchConversationsRequest { AgentId = agent }))
        {
            await live.ResponseHeadersAsync;
            await client.CreateAsync(agentId: agent);
            Assert.True(await live.ResponseStream.MoveNext(CancellationToken.None));
            before = live.ResponseStream.Current.Event.Cursor;
        }
        var erased = await client.CreateAsync(agentId: agent, contactId: contact, subject: secret);
        await client.SendAsync(erased.Id, SenderType.Customer, $"text {secret}");
        await client.SendAsync(erased.Id, SenderType.AiAgent, "answer");
        var keptOne = await client.CreateAsync(agentId: agent, subject: "kept");

        using (var live = client.WatchConversations(new WatchConversationsRequest { AgentId = agent, AfterCursor = before }))
        {
            // A watcher that is live during the erasure learns of it.
            await server.EraseAsync(contact);
            var sentinel = await client.CreateAsync(agentId: agent);
            var events = new List<ConversationEvent>();
            while (await live.ResponseStream.MoveNext(CancellationToken.None) && live.ResponseStream.Current.Event.Conversation.Id != sentinel.Id)
            {
                events.Add(live.ResponseStream.Current.Event);
            }
            Assert.Contains(events, e => e.Conversation.Id == erased.Id && e.Type == ConversationEventType.Erased);
        }

        // Resumed later from the same cursor: the same positions, the erased ones as tombstones.
        var resumed = new List<ConversationEvent>();
        using (var watch = client.WatchConversations(new WatchConversationsRequest { AgentId = agent, AfterCursor = before }))
        {
            while (await watch.ResponseStream.MoveNext(CancellationToken.None))
            {
                var e = watch.ResponseStream.Current.Event;
                resumed.Add(e);
                if (e.Conversation.Id == erased.Id && e.Type == ConversationEventType.Erased && resumed.Count(x => x.Conversation.Id == erased.Id) == 4)
                {
                    break;
                }
            }
        }
        var tombstones = resumed.Where(e => e.Conversation.Id == erased.Id).ToList();
        Assert.Equal(4, tombstones.Count);   // created, two messages, the erasure itself
        Assert.All(tombstones, e =>
        {
            Assert.Equal(ConversationEventType.Erased, e.Type);
            Assert.Null(e.Message);
            Assert.Equal("", e.Conversation.ContactId);
            Assert.Equal("", e.Conversation.Subject);
            Assert.Equal(agent, e.Conversation.AgentId);
        });
        Assert.DoesNotContain(secret, string.Join("\n", resumed.Select(e => e.ToString())));
        Assert.Contains(resumed, e => e.Conversation.Id == keptOne.Id && e.Type == ConversationEventType.Created && e.Conversation.Subject == "kept");
        Assert.Equal(resumed.Count, resumed.Select(e => e.Cursor).Distinct().Count());
    }

    [Fact]
    public async Task WritesToOtherConversationsContinueDuringAnErasureOfTenThousandMessages()
    {
        var contact = NewId();
        var secret = "narwhalsecret" + Guid.NewGuid().ToString("N")[..8];
        var large = await client.CreateAsync(contactId: contact);
        await server.SeedMessagesAsync(large, 10_000, sequence => $"message {sequence} {secret}");
        var busy = await client.CreateAsync();

        var latencies = new List<double>();
        var timer = Stopwatch.StartNew();
        var erasure = (await server.Data().EraseContactAsync(new EraseContactRequest { ContactId = contact })).Erasure;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            using var channel = server.NewChannel();
            var writerClient = server.ClientWith(server.AdminKey, channel);
            // A write every 20 ms at most, as a busy conversation has: unpaced, the loop took a core from the erasure.
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            while (!stop.IsCancellationRequested && await pace.WaitForNextTickAsync())
            {
                var call = Stopwatch.StartNew();
                await writerClient.SendAsync(busy.Id, SenderType.Customer, "still here");
                lock (latencies)
                {
                    latencies.Add(call.Elapsed.TotalMilliseconds);
                }
            }
        });
        var done = await server.FinishedAsync(erasure.Id, 120);
        var elapsed = timer.Elapsed;
        await stop.CancelAsync();
        await writer;

        Assert.Equal(10_000, done.MessagesErased);
        Assert.True(done.EventsScrubbed >= 10_001, $"scrubbed {done.EventsScrubbed}");
        Assert.True(latencies.Count >= 10, $"only {latencies.Count} writes completed during the erasure ({elapsed.TotalSeconds:F1} s)");
        var max = latencies.Max();
        Assert.True(max < 2000, $"a write waited {max:F0} ms during the erasure");
        Assert.Equal(latencies.Count, (await client.AllMessagesAsync(busy.Id)).Count);
        Assert.Equal(0, await server.OccurrencesInDatabaseAsync(secret));
        Figures.Write($"erase 10,000 messages ({(server.Postgres is null ? "SQLite" : "PostgreSQL")}): {elapsed.TotalSeconds:F2} s; " +
            $"{latencies.Count} concurrent writes, p50 {Percentile(latencies, 0.5):F1} ms, max {max:F1} ms");
    }

    [Fact]
    public async Task AnErasureInterruptedAfterDetachingIsFinishedByTheNextRunWithExactCounts()
    {
        var contact = NewId();
        var conversation = await client.CreateAsync(contactId: contact);
        await server.SeedMessagesAsync(conversation, 1_234, sequence => $"line {sequence}");
        var store = server.GetService<Server.DataLifecycle.ErasureStore>();
        var now = DateTimeOffset.UtcNow;
        // A run that stopped after its first steps: the conversation detached, one batch of its events scrubbed
        // (they are scrubbed before its rows are erased: the message events are found through the messages).
        var erasure = await store.StartAsync(new Server.DataLifecycle.Erasure("default", Guid.CreateVersion7(), Server.DataLifecycle.ErasureReason.Contact,
            Guid.Parse(contact), null, "test", now, null, Server.DataLifecycle.ErasureState.Running, 0, 0, 0, 0), CancellationToken.None);
        Assert.True(await store.DetachAsync(erasure, Guid.Parse(conversation.Id), now, CancellationToken.None));
        var item = Assert.Single(await store.ListItemsAsync(erasure, 10, CancellationToken.None));
        Assert.Equal(1_000, await store.ScrubEventLogAsync(erasure, Guid.Parse(conversation.Id), item.Tombstone, 1_000, CancellationToken.None));
        await FailsWith(StatusCode.NotFound, () => client.GetConversationAsync(new GetConversationRequest { Id = conversation.Id }).ResponseAsync);

        // The next run (here, two at once: two replicas) finishes it; nothing is counted twice.
        var runner = server.GetService<Server.DataLifecycle.ErasureRunner>();
        await Task.WhenAll(runner.RunAsync("default", erasure.Id, CancellationToken.None), runner.RunAsync("default", erasure.Id, CancellationToken.None));
        var done = await server.FinishedAsync(erasure.Id.ToString());
        Assert.Equal((1L, 1_234L), (done.ConversationsErased, done.MessagesErased));
        Assert.Equal(1_235, done.EventsScrubbed);   // the created event and one per message (the ERASED event is written as a tombstone)
        Assert.Equal(0, await server.OccurrencesInDatabaseAsync("line 1233"));
    }

    [SkippableFact]
    public async Task AConversationsEventsRequestIdsAndInboundRecordsAreFoundMessageByMessageNotByScanningTheLog()
    {
        // No index keeps a message's event, request id or inbound record next to its conversation's others (migrations
        // 0012, 0014, 0015):
        // the erasure finds them by looking up each of the conversation's messages, whatever the size of the workspace.
        // As a join, SQLite's planner (no statistics) walked every message event of the workspace (message_id>?).
        Skip.If(server.Postgres is not null, "SQLite's plans (PostgreSQL plans by the tables' statistics)");
        var db = server.GetService<Database>();
        await using var c = await db.Dialect.OpenAsync(CancellationToken.None);
        foreach (var (lookup, byConversation, byMessage) in new (string, string?, string)[]
                 {
                     (Storage.EventLog.ConversationEventIds(db.Dialect), "ix_events_conversation", "ix_events_message"),
                     (Timely.Server.DataLifecycle.ErasureStore.ConversationRequestIds(db.Dialect), "ix_request_ids_conversation", "ix_request_ids_message"),
                     (Timely.Server.DataLifecycle.ErasureStore.ConversationInboundMessages(db.Dialect), null, "ix_inbound_messages_message"),
                 })
        {
            var plan = (await c.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>(
                "EXPLAIN QUERY PLAN " + lookup, new { Workspace = "w", ConversationId = "c" })).Select(row => row.Detail).ToList();
            if (byConversation is not null)
            {
                Assert.Contains(plan, line => line.Contains(byConversation) && line.Contains("conversation_id=?"));
            }
            Assert.Contains(plan, line => line.Contains(byMessage) && line.Contains("message_id=?"));
            Assert.DoesNotContain(plan, line => line.Contains(byMessage) && !line.Contains("message_id=?"));
            Assert.Contains(plan, line => line.StartsWith("SEARCH messages", StringComparison.Ordinal) && line.Contains("conversation_id=?"));
            Assert.DoesNotContain(plan, line => line.StartsWith("SCAN", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task OnlyAdminKeysMayEraseOrExport()
    {
        var (write, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Write);
        var data = server.Data(write);
        await FailsWith(StatusCode.PermissionDenied, () => data.EraseContactAsync(new EraseContactRequest { ContactId = NewId() }).ResponseAsync);
        await FailsWith(StatusCode.PermissionDenied, async () =>
        {
            using var call = data.ExportConversations(new ExportConversationsRequest());
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        await FailsOnField("contact_id", () => server.Data().EraseContactAsync(new EraseContactRequest { ContactId = "nope" }).ResponseAsync);
        await FailsOnField("contact_id", () => server.Data().EraseContactAsync(new EraseContactRequest()).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => server.Data().GetErasureAsync(new GetErasureRequest { Id = NewId() }).ResponseAsync);
    }

    private static double Percentile(List<double> values, double p) => values.Order().ElementAt((int)Math.Min(values.Count - 1, values.Count * p));
}

/// <summary>Figures measured by tests, appended to $TIMELY_TEST_OUTPUT/figures.txt (scripts/test.sh prints them).</summary>
internal static class Figures
{
    public static void Write(string line)
    {
        if (Environment.GetEnvironmentVariable("TIMELY_TEST_OUTPUT") is { Length: > 0 } folder)
        {
            File.AppendAllText(Path.Combine(folder, "figures.txt"), line + Environment.NewLine);
        }
        Console.WriteLine(line);
    }
}
