using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

public sealed class WatchConversationsTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;
    private const ConversationEventType Created = ConversationEventType.Created;
    private const ConversationEventType Message = ConversationEventType.MessageAdded;
    private const ConversationEventType StatusChanged = ConversationEventType.StatusChanged;
    private const ConversationEventType Updated = ConversationEventType.Updated;

    /// <summary>Seven changes to two conversations of one agent on two channels, and the cursor just before them.</summary>
    private sealed record Scenario(string Agent, string ChannelX, string ChannelY, Conversation One, Conversation Two, string CursorBefore);

    public static TheoryData<string> Filters => ["agent", "channel", "conversation", "status human", "status closed"];

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task EachFilterDeliversExactlyItsMatchingEvents(string filter)
    {
        var s = await RunScenario();
        var request = new WatchConversationsRequest { AfterCursor = s.CursorBefore };
        (ConversationEventType, string)[] expected;
        switch (filter)
        {
            case "agent":
                request.AgentId = s.Agent;
                expected = [(Created, s.One.Id), (Created, s.Two.Id), (Message, s.One.Id), (StatusChanged, s.Two.Id), (Updated, s.One.Id), (StatusChanged, s.Two.Id), (Message, s.One.Id)];
                break;
            case "channel":
                request.ChannelId = s.ChannelY;
                expected = [(Created, s.Two.Id), (StatusChanged, s.Two.Id), (StatusChanged, s.Two.Id)];
                break;
            case "conversation":
                request.ConversationId = s.One.Id;
                expected = [(Created, s.One.Id), (Message, s.One.Id), (Updated, s.One.Id), (Message, s.One.Id)];
                break;
            case "status human":
                // A status filter also shows the change that leaves the status, so a view can drop the conversation.
                request.AgentId = s.Agent;
                request.Statuses.Add(ConversationStatus.Human);
                expected = [(StatusChanged, s.Two.Id), (StatusChanged, s.Two.Id)];
                break;
            default:
                request.AgentId = s.Agent;
                request.Statuses.Add(ConversationStatus.Closed);
                expected = [(StatusChanged, s.Two.Id)];
                break;
        }
        await ExpectEvents(request, s, expected);
    }

    [Fact]
    public async Task EventsCarryTheirTypeStatusesMessageAndTheConversationAfterIt()
    {
        var s = await RunScenario();
        var events = await Take(new WatchConversationsRequest { AgentId = s.Agent, AfterCursor = s.CursorBefore }, 7);

        Assert.Equal(ConversationStatus.Open, events[0].Conversation.Status);
        Assert.Equal("hello", events[2].Message.Content);
        Assert.Equal(1, events[2].Conversation.LastSequence);
        Assert.Equal((ConversationStatus.Open, ConversationStatus.Human), (events[3].OldStatus, events[3].NewStatus));
        Assert.Equal(ConversationStatus.Human, events[3].Conversation.Status);
        Assert.Equal(["priority"], events[4].Conversation.Tags);
        Assert.Equal((ConversationStatus.Human, ConversationStatus.Closed), (events[5].OldStatus, events[5].NewStatus));
        Assert.NotNull(events[5].Conversation.ClosedAt);
        Assert.Null(events[0].Message);
        // Each event has its own cursor (encrypted: cursors do not sort, and reveal nothing of the log).
        Assert.Equal(7, events.Select(e => e.Cursor).Distinct().Count());
    }

    [Fact]
    public async Task WatchResumedFromACursorGetsExactlyTheRest()
    {
        var s = await RunScenario();
        var firstThree = await Take(new WatchConversationsRequest { AgentId = s.Agent, AfterCursor = s.CursorBefore }, 3);
        var rest = await Take(new WatchConversationsRequest { AgentId = s.Agent, AfterCursor = firstThree[^1].Cursor }, 4);
        Assert.Equal([StatusChanged, Updated, StatusChanged, Message], rest.Select(e => e.Type));
        await ExpectNothingBeforeSentinel(new WatchConversationsRequest { AgentId = s.Agent, AfterCursor = rest[^1].Cursor }, s);
    }

    [Fact]
    public async Task WatchWithoutCursorStartsAtThePresent()
    {
        var agent = NewId();
        var past = await client.CreateAsync(agentId: agent);
        var (_, seen) = await LiveCursor(agent);
        Assert.DoesNotContain(past.Id, seen);
        Assert.NotEmpty(seen);
    }

    [Fact]
    public async Task ResponseHeadersMeanTheWatchIsLive()
    {
        for (var round = 0; round < 20; round++)
        {
            var agent = NewId();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var call = client.WatchConversations(new WatchConversationsRequest { AgentId = agent }, cancellationToken: timeout.Token);
            await call.ResponseHeadersAsync;
            var created = await client.CreateAsync(agentId: agent);   // once, right after the headers
            Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
            Assert.Equal(created.Id, call.ResponseStream.Current.Event.Conversation.Id);
        }
    }

    [Fact]
    public async Task NewMessagesReachALiveWatcherInOrder()
    {
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (cursor, _) = await LiveCursor(agent);
        using var call = client.WatchConversations(new WatchConversationsRequest { AgentId = agent, AfterCursor = cursor }, cancellationToken: timeout.Token);
        var writers = Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await client.SendAsync(conversation.Id, SenderType.Customer, $"{w}/{i}");
            }
        })));
        var sequences = new List<long>();
        while (sequences.Count < 200 && await call.ResponseStream.MoveNext(timeout.Token))
        {
            sequences.Add(call.ResponseStream.Current.Event.Message.Sequence);
        }
        await writers;
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), sequences);
    }

    [Fact]
    public async Task ManyWatchersOfOneFilterEachGetEveryEventOnce()
    {
        // Watchers with the same filter share their reads of the log (statuses listed in any order);
        // each must still see every event exactly once while writers are busy.
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var channel = server.NewChannel();
        var watcherClient = server.ClientWith(server.AdminKey, channel);
        var calls = Enumerable.Range(0, 40).Select(i =>
        {
            var request = new WatchConversationsRequest { AgentId = agent };
            request.Statuses.AddRange(i % 2 == 0
                ? [ConversationStatus.Open, ConversationStatus.Waiting]
                : [ConversationStatus.Waiting, ConversationStatus.Open]);
            return watcherClient.WatchConversations(request, cancellationToken: timeout.Token);
        }).ToList();
        try
        {
            await Task.WhenAll(calls.Select(c => c.ResponseHeadersAsync));
            var reading = calls.Select(async call =>
            {
                var sequences = new List<long>();
                while (sequences.Count < 100 && await call.ResponseStream.MoveNext(timeout.Token))
                {
                    sequences.Add(call.ResponseStream.Current.Event.Message.Sequence);
                }
                return sequences;
            }).ToList();
            await Task.WhenAll(Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await client.SendAsync(conversation.Id, SenderType.Customer, $"{w}/{i}");
                }
            })));
            foreach (var sequences in await Task.WhenAll(reading))
            {
                Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), sequences);
            }
        }
        finally
        {
            calls.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task BadCursorsAndFiltersAreRefused()
    {
        var s = await RunScenario();
        var cursor = s.CursorBefore;
        var tampered = cursor[..15] + (cursor[15] == '0' ? '1' : '0') + cursor[16..];
        foreach (var bad in new[] { "garbage", tampered, cursor + "x", "0000000000000001" })
        {
            await FailsOnField("after_cursor", () => Take(new WatchConversationsRequest { AfterCursor = bad }, 1));
        }
        await FailsOnField("statuses[0]", () => Take(new WatchConversationsRequest { Statuses = { ConversationStatus.Unspecified } }, 1));
        await FailsOnField("agent_id", () => Take(new WatchConversationsRequest { AgentId = "bot-1" }, 1));
    }

    /// <summary>Runs the scenario after establishing a cursor, so every watch can replay it deterministically.</summary>
    private async Task<Scenario> RunScenario()
    {
        var (agent, x, y) = (NewId(), NewId(), NewId());
        var (cursor, _) = await LiveCursor(agent);
        var one = await client.CreateAsync(agent, x);
        var two = await client.CreateAsync(agent, y);
        await client.SendAsync(one.Id, SenderType.Customer, "hello");
        await client.HandoffConversationAsync(new HandoffConversationRequest { Id = two.Id, AssignedTo = NewId() });
        await client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = one.Id, Tags = { "priority" } },
            UpdateMask = new FieldMask { Paths = { "tags" } },
        });
        await client.CloseConversationAsync(new CloseConversationRequest { Id = two.Id });
        await client.SendAsync(one.Id, SenderType.AiAgent, "Hi! How can I help?");
        return new Scenario(agent, x, y, one, two, cursor);
    }

    /// <summary>A cursor at the present: watch the agent from now (no cursor) and make marker changes until
    /// the watch delivers the newest one. Returns its cursor and every conversation the watch showed.</summary>
    private async Task<(string Cursor, List<string> Seen)> LiveCursor(string agent)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = client.WatchConversations(new WatchConversationsRequest { AgentId = agent }, cancellationToken: timeout.Token);
        var seen = new List<string>();
        var next = call.ResponseStream.MoveNext(timeout.Token);
        string? marker = null;
        for (var attempt = 0; marker is null; attempt++)
        {
            Assert.True(attempt < 100, "the watch never became live");
            var created = await client.CreateAsync(agentId: agent, channelId: NewId());
            if (await Task.WhenAny(next, Task.Delay(100, timeout.Token)) == next)
            {
                marker = created.Id;
            }
        }
        // Markers made before the watch was live are in the past and never delivered; read up to the newest.
        while (await next)
        {
            var e = call.ResponseStream.Current.Event;
            seen.Add(e.Conversation.Id);
            if (e.Conversation.Id == marker)
            {
                return (e.Cursor, seen);
            }
            next = call.ResponseStream.MoveNext(timeout.Token);
        }
        throw new Xunit.Sdk.XunitException("the watch ended");
    }

    private async Task<List<ConversationEvent>> Take(WatchConversationsRequest request, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = client.WatchConversations(request, cancellationToken: timeout.Token);
        var events = new List<ConversationEvent>();
        while (events.Count < count && await call.ResponseStream.MoveNext(timeout.Token))
        {
            events.Add(call.ResponseStream.Current.Event);
        }
        return events;
    }

    private async Task ExpectEvents(WatchConversationsRequest request, Scenario s, params (ConversationEventType Type, string ConversationId)[] expected)
    {
        var events = await Take(request, expected.Length);
        Assert.Equal(expected, events.Select(e => (e.Type, e.Conversation.Id)));
        var after = request.Clone();
        after.AfterCursor = events[^1].Cursor;
        await ExpectNothingBeforeSentinel(after, s);
    }

    /// <summary>After the expected events, the next one the watch delivers is a new sentinel change that
    /// matches every filter of the scenario: so nothing unexpected was in between.</summary>
    private async Task ExpectNothingBeforeSentinel(WatchConversationsRequest request, Scenario s)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = client.WatchConversations(request, cancellationToken: timeout.Token);
        var sentinel = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            AgentId = s.Agent, ChannelId = s.ChannelY, ContactId = s.Two.ContactId, Content = "sentinel",
        });
        var humanSentinel = request.Statuses.Count > 0 || request.ConversationId.Length > 0;
        if (humanSentinel)
        {
            // Filters on a status or on one conversation need a sentinel that matches them.
            var target = request.ConversationId.Length > 0 ? request.ConversationId : sentinel.Conversation.Id;
            await client.SendAsync(target, SenderType.HumanAgent, "sentinel", NewId());
            await client.CloseConversationAsync(new CloseConversationRequest { Id = target });
        }
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
        var e = call.ResponseStream.Current.Event;
        Assert.True(e.Conversation.Id == sentinel.Conversation.Id || e.Conversation.Id == request.ConversationId,
            $"unexpected {e.Type} of {e.Conversation.Id} before the sentinel");
    }
}
