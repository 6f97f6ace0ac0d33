using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.AiNative;

/// <summary>Agent activity, internal notes with keys restricted to public messages, and handoff context (issue 17).</summary>
public sealed class ActivityAndNotesTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    private LiveReader<StreamMessagesResponse> Stream(string conversationId, ConversationService.ConversationServiceClient? reader = null,
        long after = 0, MessageVisibility visibility = MessageVisibility.Unspecified) =>
        new(ct => (reader ?? client).StreamMessages(new StreamMessagesRequest
        {
            ConversationId = conversationId, AfterSequence = after, IncludeLive = true, Visibility = visibility,
        }, cancellationToken: ct));

    private async Task<ConversationService.ConversationServiceClient> PublicOnlyClient()
    {
        var secret = ApiKeySecrets.NewSecret();
        await server.GetService<ApiKeyStore>().CreateAsync(Workspaces.Default, ApiKeyScope.Write, "widget", secret, agent: null, publicOnly: true, CancellationToken.None);
        return server.ClientWith(secret);
    }

    private Task<SendMessageResponse> Note(string conversationId, string content, SenderType sender = SenderType.AiAgent, string senderId = "") =>
        client.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversationId, SenderType = sender, SenderId = senderId, Content = content, Visibility = MessageVisibility.Internal,
        }).ResponseAsync;

    [Fact]
    public async Task ActivityExpiresByItself()
    {
        var conversation = await client.CreateAsync();
        await using var stream = Stream(conversation.Id);
        await stream.Subscribed;
        var set = await client.SetActivityAsync(new SetActivityRequest
        {
            ConversationId = conversation.Id, Kind = AgentActivityKind.Typing, Ttl = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(300)),
        });
        Assert.Equal(conversation.AgentId, set.Activity.SenderId);

        var typing = await stream.Next(r => r.Activity is not null);
        Assert.Equal(AgentActivityKind.Typing, typing.Activity.Kind);
        Assert.NotNull(typing.Activity.ExpiresAt);
        var none = await stream.Next(r => r.Activity is not null, seconds: 5);
        Assert.Equal(AgentActivityKind.None, none.Activity.Kind);
        Assert.True(none.Activity.OccurredAt.ToDateTimeOffset() >= typing.Activity.ExpiresAt.ToDateTimeOffset().AddMilliseconds(-50));
        // A subscriber that joins now sees no activity.
        await using var late = Stream(conversation.Id);
        Assert.DoesNotContain(await late.For(0.3), r => r.Activity is not null);
    }

    [Fact]
    public async Task ActivityIsClearedByAMessageOfTheSameSender()
    {
        var conversation = await client.CreateAsync();
        await using var stream = Stream(conversation.Id);
        await using var watch = new LiveReader<WatchConversationsResponse>(ct => client.WatchConversations(
            new WatchConversationsRequest { ConversationId = conversation.Id, IncludeLive = true }, cancellationToken: ct));
        await stream.Subscribed;
        await watch.Subscribed;
        await client.SetActivityAsync(new SetActivityRequest
        {
            ConversationId = conversation.Id, Kind = AgentActivityKind.Thinking, Ttl = Duration.FromTimeSpan(TimeSpan.FromSeconds(60)),
        });
        Assert.Equal(AgentActivityKind.Thinking, (await stream.Next(r => r.Activity is not null)).Activity.Kind);
        Assert.Equal(AgentActivityKind.Thinking, (await watch.Next(r => r.Event.Type == ConversationEventType.AgentActivity)).Event.Activity.Kind);

        await client.SendAsync(conversation.Id, SenderType.Customer, "a customer message clears nothing");
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "here you go");
        var items = new List<StreamMessagesResponse>();
        while (items.LastOrDefault()?.Activity is null)
        {
            items.Add(await stream.Next(_ => true, seconds: 3));
        }
        Assert.Equal(AgentActivityKind.None, items[^1].Activity.Kind);
        Assert.Equal(2, items.Count(i => i.Message is not null));
        Assert.Equal(AgentActivityKind.None, (await watch.Next(r => r.Event.Type == ConversationEventType.AgentActivity)).Event.Activity.Kind);
    }

    [Fact]
    public async Task ActivityRequestsAreChecked()
    {
        var conversation = await client.CreateAsync();
        await FailsOnField("kind", async () => await client.SetActivityAsync(new SetActivityRequest { ConversationId = conversation.Id }));
        await FailsOnField("ttl", async () => await client.SetActivityAsync(new SetActivityRequest
        {
            ConversationId = conversation.Id, Kind = AgentActivityKind.Typing, Ttl = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)),
        }));
        await FailsOnField("sender_id", async () => await client.SetActivityAsync(new SetActivityRequest
        {
            ConversationId = conversation.Id, Kind = AgentActivityKind.Typing, SenderType = SenderType.HumanAgent,
        }));
        await FailsOnField("sender_type", async () => await client.SetActivityAsync(new SetActivityRequest
        {
            ConversationId = conversation.Id, Kind = AgentActivityKind.Typing, SenderType = SenderType.Customer,
        }));
        await FailsWith(StatusCode.NotFound, async () => await client.SetActivityAsync(new SetActivityRequest { ConversationId = NewId(), Kind = AgentActivityKind.Typing }));
        var human = NewId();
        var set = await client.SetActivityAsync(new SetActivityRequest
        {
            ConversationId = conversation.Id, Kind = AgentActivityKind.Searching, SenderType = SenderType.HumanAgent, SenderId = human,
        });
        Assert.Equal(human, set.Activity.SenderId);
        Assert.Equal(SenderType.HumanAgent, set.Activity.SenderType);
    }

    [Fact]
    public async Task InternalNoteKeepsSequenceButMovesNeitherStatusNorLastMessageAt()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "hi");
        var before = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "hello!")).Conversation;
        var human = NewId();
        var note = await Note(conversation.Id, "customer seems upset; consider a refund");
        var humanNote = await Note(conversation.Id, "I'll take it if it escalates", SenderType.HumanAgent, human);

        Assert.Equal(MessageVisibility.Internal, note.Message.Visibility);
        Assert.Equal(3, note.Message.Sequence);
        Assert.Equal(4, humanNote.Message.Sequence);
        var after = humanNote.Conversation;
        Assert.Equal(ConversationStatus.Open, after.Status);   // a human's note does not take over
        Assert.Equal("", after.AssignedTo);
        Assert.Equal(before.LastMessageAt, after.LastMessageAt);
        Assert.Equal(4, after.LastSequence);
        Assert.Equal(MessageVisibility.Public, (await client.AllMessagesAsync(conversation.Id))[0].Visibility);

        await FailsOnField("visibility", async () => await Note(conversation.Id, "no", SenderType.Customer));
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });
        var closed = await FailsWith(StatusCode.FailedPrecondition, () => Note(conversation.Id, "too late"));
        Assert.Equal("CONVERSATION_CLOSED", closed.ErrorInfo()?.Reason);
    }

    [Fact]
    public async Task InternalNotesNeverReachAPublicOnlyKeyOrAPublicView()
    {
        var widget = await PublicOnlyClient();
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "hi");                  // 1
        await Note(conversation.Id, "secret reasoning one");                                   // 2
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "hello");                 // 3
        await Note(conversation.Id, "secret reasoning two");                                   // 4

        // Lists: the key reads only public messages, whatever it asks.
        Assert.Equal([1L, 3L], (await widget.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversation.Id })).Messages.Select(m => m.Sequence));
        Assert.Equal([1L, 3L], (await widget.ListMessagesAsync(new ListMessagesRequest
        {
            ConversationId = conversation.Id, Visibility = MessageVisibility.Internal,
        })).Messages.Select(m => m.Sequence));
        Assert.Equal([2L, 4L], (await client.ListMessagesAsync(new ListMessagesRequest
        {
            ConversationId = conversation.Id, Visibility = MessageVisibility.Internal,
        })).Messages.Select(m => m.Sequence));
        Assert.Equal(4, (await client.AllMessagesAsync(conversation.Id)).Count);
        // Search does not find them for the key.
        Assert.Empty((await widget.SearchMessagesAsync(new SearchMessagesRequest { Query = "secret" })).Hits);
        Assert.DoesNotContain(conversation.Id, (await widget.SearchConversationsAsync(new SearchConversationsRequest { Query = "secret" })).Conversations.Select(c => c.Id));
        Assert.Contains(conversation.Id, (await client.SearchConversationsAsync(new SearchConversationsRequest { Query = "secret" })).Conversations.Select(c => c.Id));

        // Streams: replay, resume after a public message, and live; by key and by filter.
        await using var keyStream = Stream(conversation.Id, widget);
        await using var filtered = Stream(conversation.Id, visibility: MessageVisibility.Public);
        await using var resumed = Stream(conversation.Id, widget, after: 1);
        await using var keyWatch = new LiveReader<WatchConversationsResponse>(ct => widget.WatchConversations(
            new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = "" , Visibility = MessageVisibility.Internal }, cancellationToken: ct));
        await keyStream.Subscribed;
        await filtered.Subscribed;
        await resumed.Subscribed;
        await keyWatch.Subscribed;
        await Note(conversation.Id, "secret reasoning three");                                 // 5
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "anything else?");        // 6

        foreach (var (stream, expected) in new[] { (keyStream, new[] { 1L, 3L, 6L }), (filtered, [1L, 3L, 6L]), (resumed, [3L, 6L]) })
        {
            var sequences = new List<long>();
            while (sequences.LastOrDefault() != 6)
            {
                sequences.Add((await stream.Next(r => r.Message is not null)).Message.Sequence);
            }
            Assert.Equal(expected, sequences);
        }
        var added = await keyWatch.Next(r => r.Event.Type == ConversationEventType.MessageAdded);
        Assert.Equal(6, added.Event.Message.Sequence);

        // Nor can the key write one.
        var denied = await FailsWith(StatusCode.PermissionDenied, async () => await widget.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversation.Id, SenderType = SenderType.AiAgent, Content = "x", Visibility = MessageVisibility.Internal,
        }));
        Assert.Equal("KEY_PUBLIC_ONLY", denied.ErrorInfo()?.Reason);
    }

    [Fact]
    public async Task HandoffContextIsStoredCarriedByTheEventAndFilterable()
    {
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent);
        var other = await client.CreateAsync(agentId: agent);
        await using var watch = new LiveReader<WatchConversationsResponse>(ct => client.WatchConversations(
            new WatchConversationsRequest { ConversationId = conversation.Id }, cancellationToken: ct));
        await watch.Subscribed;
        var human = NewId();
        var handed = (await client.HandoffConversationAsync(new HandoffConversationRequest
        {
            Id = conversation.Id, AssignedTo = human, Reason = HandoffReason.Sentiment, Priority = HandoffPriority.Urgent,
            Summary = "Customer is angry about a late refund; order 1234, refund approved on day 3.",
        })).Conversation;
        await client.HandoffConversationAsync(new HandoffConversationRequest { Id = other.Id, AssignedTo = human });

        Assert.Equal(HandoffReason.Sentiment, handed.Handoff.Reason);
        Assert.Equal(HandoffPriority.Urgent, handed.Handoff.Priority);
        Assert.StartsWith("Customer is angry", handed.Handoff.Summary);
        Assert.NotNull(handed.Handoff.HandedOffAt);
        Assert.Equal(handed.Handoff, (await client.GetAsync(conversation.Id)).Handoff);
        Assert.Equal(HandoffPriority.Normal, (await client.GetAsync(other.Id)).Handoff.Priority);

        var changed = await watch.Next(r => r.Event.Type == ConversationEventType.StatusChanged);
        Assert.Equal(handed.Handoff, changed.Event.Conversation.Handoff);

        var urgent = await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, Priority = HandoffPriority.Urgent });
        Assert.Equal([conversation.Id], urgent.Conversations.Select(c => c.Id));
        var normal = await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, Priority = HandoffPriority.Normal });
        Assert.Equal([other.Id], normal.Conversations.Select(c => c.Id));

        await FailsOnField("summary", async () => await client.HandoffConversationAsync(new HandoffConversationRequest
        {
            Id = (await client.CreateAsync()).Id, AssignedTo = human, Summary = new string('x', 5000),
        }));
    }
}
