using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.AiNative;

/// <summary>Reply drafts (issue 17): deltas reach live subscribers in order before the commit, the
/// committed message is the concatenation with the next sequence, and every way a draft can end without
/// completing abandons it and tells the subscribers.</summary>
public sealed class ReplyDraftTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    private LiveReader<StreamMessagesResponse> Stream(string conversationId, long after = 0, MessageVisibility visibility = MessageVisibility.Unspecified) =>
        new(ct => client.StreamMessages(new StreamMessagesRequest
        {
            ConversationId = conversationId, AfterSequence = after, IncludeLive = true, Visibility = visibility,
        }, cancellationToken: ct));

    [Fact]
    public async Task DeltasReachSubscribersInOrderBeforeTheCommittedMessage()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "where is my order?");
        await using var stream = Stream(conversation.Id);
        await using var watch = new LiveReader<WatchConversationsResponse>(ct => client.WatchConversations(
            new WatchConversationsRequest { ConversationId = conversation.Id, IncludeLive = true }, cancellationToken: ct));
        await stream.Next(r => r.Message?.Sequence == 1);
        await watch.Subscribed;

        var pieces = new[] { "Your order ", "left the warehouse ", "today — ", "🚚 tracking follows." };
        using var call = await Drafts.StartDraft(client, conversation.Id);
        foreach (var piece in pieces)
        {
            await Drafts.Piece(call, piece);
        }
        await call.RequestStream.CompleteAsync();
        var response = await call;

        var items = new List<StreamMessagesResponse>();
        while (items.LastOrDefault()?.ReplyDraft?.State != ReplyDraftState.Committed)
        {
            items.Add(await stream.Next(_ => true));
        }
        var drafts = items.Where(i => i.ReplyDraft is not null).Select(i => i.ReplyDraft).ToList();
        Assert.Equal(ReplyDraftState.Started, drafts[0].State);
        Assert.Equal(pieces, drafts.Where(d => d.State == ReplyDraftState.Delta).Select(d => d.Text));
        var offsets = drafts.Where(d => d.State == ReplyDraftState.Delta).Select(d => d.Offset).ToList();
        Assert.Equal(pieces.Select((_, i) => (long)pieces.Take(i).Sum(p => System.Text.Encoding.UTF8.GetByteCount(p))), offsets);
        // The message comes after every delta, then COMMITTED naming it.
        var messageAt = items.FindIndex(i => i.Message is not null);
        Assert.True(messageAt > items.FindLastIndex(i => i.ReplyDraft?.State == ReplyDraftState.Delta));
        Assert.Equal(string.Concat(pieces), items[messageAt].Message.Content);
        Assert.Equal(2, items[messageAt].Message.Sequence);
        Assert.Equal(SenderType.AiAgent, items[messageAt].Message.SenderType);
        Assert.Equal(2, drafts[^1].Sequence);
        Assert.Equal(response.Message, items[messageAt].Message);
        Assert.Equal(2, response.Conversation.LastSequence);

        // The watch: REPLY_DRAFT events for every delta, then MESSAGE_ADDED.
        var events = new List<ConversationEvent>();
        while (events.LastOrDefault()?.Type != ConversationEventType.MessageAdded)
        {
            events.Add((await watch.Next(_ => true)).Event);
        }
        Assert.Equal(pieces, events.Where(e => e.Type == ConversationEventType.ReplyDraft && e.ReplyDraft.State == ReplyDraftState.Delta).Select(e => e.ReplyDraft.Text));
        Assert.All(events.Where(e => e.Type == ConversationEventType.ReplyDraft), e => Assert.Equal(conversation.Id, e.Conversation.Id));
    }

    [Fact]
    public async Task ExistingSubscribersWithoutIncludeLiveSeeOnlyMessages()
    {
        var conversation = await client.CreateAsync();
        await using var stream = new LiveReader<StreamMessagesResponse>(ct => client.StreamMessages(
            new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: ct));
        await stream.Subscribed;
        using var call = await Drafts.StartDraft(client, conversation.Id);
        await Drafts.Piece(call, "hello");
        await call.RequestStream.CompleteAsync();
        await call;
        var first = await stream.Next(_ => true);
        Assert.Equal("hello", first.Message.Content);
        Assert.Null(first.ReplyDraft);
    }

    [Fact]
    public async Task SubscriberJoiningMidDraftReceivesTheTextSoFarAtOffsetZero()
    {
        var conversation = await client.CreateAsync();
        using var call = await Drafts.StartDraft(client, conversation.Id);
        await Drafts.Piece(call, "Hello ");
        await Drafts.Piece(call, "there");
        await Eventually(async () =>
        {
            await using var probe = Stream(conversation.Id);
            var snapshot = await probe.Next(r => r.ReplyDraft is not null);
            return snapshot.ReplyDraft.Text == "Hello there" && snapshot.ReplyDraft.Offset == 0;
        }, "the snapshot to hold both pieces");
        await call.RequestStream.CompleteAsync();
        Assert.Equal("Hello there", (await call).Message.Content);
    }

    [Fact]
    public async Task CancelledDraftIsAbandonedAndWritesNothing()
    {
        var conversation = await client.CreateAsync();
        await using var stream = Stream(conversation.Id);
        await stream.Subscribed;
        using var cancel = new CancellationTokenSource();
        using var call = await Drafts.StartDraft(client, conversation.Id, ct: cancel.Token);
        await Drafts.Piece(call, "I think");
        await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Delta);
        await cancel.CancelAsync();

        var abandoned = await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Abandoned);
        Assert.Equal(ReplyDraftAbandonReason.Cancelled, abandoned.ReplyDraft.AbandonReason);
        Assert.Equal(0, (await client.GetAsync(conversation.Id)).LastSequence);
    }

    [Fact]
    public async Task BrokenCallAbandonsTheDraft()
    {
        var conversation = await client.CreateAsync();
        await using var stream = Stream(conversation.Id);
        await stream.Subscribed;
        var channel = server.NewChannel();
        var writer = server.ClientWith(server.AdminKey, channel);
        var call = await Drafts.StartDraft(writer, conversation.Id);
        await Drafts.Piece(call, "half a");
        await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Delta);
        channel.Dispose(); // the connection goes away under the call

        var abandoned = await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Abandoned);
        Assert.Equal(ReplyDraftAbandonReason.Cancelled, abandoned.ReplyDraft.AbandonReason);
        Assert.Equal(0, (await client.GetAsync(conversation.Id)).LastSequence);
        call.Dispose();
    }

    [Fact]
    public async Task HandoffMidDraftAbandonsItAndTheAiMessageIsRefused()
    {
        var conversation = await client.CreateAsync();
        await using var stream = Stream(conversation.Id);
        await stream.Subscribed;
        using var call = await Drafts.StartDraft(client, conversation.Id);
        await Drafts.Piece(call, "Let me check");
        await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Delta);
        await client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId() });

        var abandoned = await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Abandoned);
        Assert.Equal(ReplyDraftAbandonReason.HandedOff, abandoned.ReplyDraft.AbandonReason);
        var error = await FailsWith(StatusCode.FailedPrecondition, async () =>
        {
            await call.RequestStream.CompleteAsync().ContinueWith(_ => { });
            await call;
        });
        Assert.Equal("HUMAN_OWNS_CONVERSATION", error.ErrorInfo()?.Reason);
        Assert.Equal(0, (await client.GetAsync(conversation.Id)).LastSequence);
    }

    [Fact]
    public async Task CallsOnTheConnectionOfADraftAbandonedMidReadWork()
    {
        // The server stops reading an abandoned draft's requests: a read still pending when its call ended
        // broke the next call that reused the connection's stream ("Reading is already in progress").
        var channel = server.NewChannel();
        var writer = server.ClientWith(server.AdminKey, channel);
        for (var round = 0; round < 10; round++)
        {
            var conversation = await writer.CreateAsync();
            using var call = await Drafts.StartDraft(writer, conversation.Id);
            await Drafts.Piece(call, "Let me check");
            await writer.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId() });
            await FailsWith(StatusCode.FailedPrecondition, async () => await call);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => writer.GetAsync(conversation.Id)));
            await call.RequestStream.CompleteAsync().ContinueWith(_ => { });
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => writer.GetAsync(conversation.Id)));
        }
        channel.Dispose();
    }

    [Fact]
    public async Task CloseMidDraftAbandonsIt()
    {
        var conversation = await client.CreateAsync();
        await using var stream = Stream(conversation.Id);
        await stream.Subscribed;
        using var call = await Drafts.StartDraft(client, conversation.Id);
        await Drafts.Piece(call, "One moment");
        await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Delta);
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });

        var abandoned = await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Abandoned);
        Assert.Equal(ReplyDraftAbandonReason.Closed, abandoned.ReplyDraft.AbandonReason);
        var error = await FailsWith(StatusCode.FailedPrecondition, async () => await call);
        Assert.Equal("CONVERSATION_CLOSED", error.ErrorInfo()?.Reason);
    }

    [Fact]
    public async Task RetriedCompletedDraftWritesOnce()
    {
        var conversation = await client.CreateAsync();
        var requestId = NewId();
        async Task<StreamReplyDraftResponse> Send()
        {
            using var call = await Drafts.StartDraft(client, conversation.Id, requestId);
            await Drafts.Piece(call, "Thanks, ");
            await Drafts.Piece(call, "done.");
            await call.RequestStream.CompleteAsync();
            return await call;
        }
        var first = await Send();
        await using var stream = Stream(conversation.Id, after: 1);
        await stream.Subscribed;
        var retry = await Send();

        Assert.Equal(first.Message, retry.Message);
        Assert.Equal(1, (await client.GetAsync(conversation.Id)).LastSequence);
        Assert.DoesNotContain(await stream.For(0.5), r => r.ReplyDraft is not null); // a retry is not forwarded again
        // The same request id with SendMessage and the same text is the same request.
        var same = await client.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversation.Id, SenderType = SenderType.AiAgent, Content = "Thanks, done.", RequestId = requestId,
        });
        Assert.Equal(first.Message, same.Message);
    }

    [Fact]
    public async Task OneLiveDraftPerConversation()
    {
        var conversation = await client.CreateAsync();
        await using var stream = Stream(conversation.Id);
        await stream.Subscribed;
        using var first = await Drafts.StartDraft(client, conversation.Id);
        await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Started);
        using var second = await Drafts.StartDraft(client, conversation.Id);
        var error = await FailsWith(StatusCode.FailedPrecondition, async () => await second);
        Assert.Equal("DRAFT_IN_PROGRESS", error.ErrorInfo()?.Reason);
        await Drafts.Piece(first, "still mine");
        await first.RequestStream.CompleteAsync();
        Assert.Equal("still mine", (await first).Message.Content);
    }

    [Fact]
    public async Task OfEightConcurrentDraftsOneIsLiveAndTheOthersAreRefused()
    {
        var conversation = await client.CreateAsync();
        var calls = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var call = await Drafts.StartDraft(client, conversation.Id);
            try
            {
                await Drafts.Piece(call, $"draft {i}");
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.Cancelled)
            {
                // Refused before this piece was written: the write fails with the call's status, checked below, or as
                // Cancelled when the reset of the request the server no longer reads reaches the client first.
            }
            return call;
        }));
        var refused = 0;
        await Eventually(async () =>
        {
            refused = 0;
            foreach (var call in calls)
            {
                if (call.ResponseAsync.IsCompleted)
                {
                    var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
                    Assert.Equal("DRAFT_IN_PROGRESS", error.ErrorInfo()?.Reason);
                    refused++;
                }
            }
            return refused == 7;
        }, "seven drafts to be refused");
        var live = calls.Single(c => !c.ResponseAsync.IsCompleted);
        await live.RequestStream.CompleteAsync();
        var message = (await live).Message;
        Assert.Equal(1, message.Sequence);
        Assert.Equal(1, (await client.GetAsync(conversation.Id)).LastSequence);
        foreach (var call in calls)
        {
            call.Dispose();
        }
    }

    [Fact]
    public async Task DraftIsCappedLikeAMessage()
    {
        var conversation = await client.CreateAsync();
        using var call = await Drafts.StartDraft(client, conversation.Id);
        await Drafts.Piece(call, new string('a', 30_000));
        await Drafts.Piece(call, new string('b', 3_000));
        await FailsOnField("text", async () => await call);
        Assert.Equal(0, (await client.GetAsync(conversation.Id)).LastSequence);
    }

    [Fact]
    public async Task DraftOnAHumanConversationIsRefusedAtOnce()
    {
        var conversation = await client.CreateAsync();
        await client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId() });
        using var call = await Drafts.StartDraft(client, conversation.Id);
        var error = await FailsWith(StatusCode.FailedPrecondition, async () => await call);
        Assert.Equal("HUMAN_OWNS_CONVERSATION", error.ErrorInfo()?.Reason);
    }

    [Fact]
    public async Task FirstItemMustNameTheConversation()
    {
        using var call = client.StreamReplyDraft();
        await call.RequestStream.WriteAsync(new StreamReplyDraftRequest { Text = "hi" });
        await FailsOnField("start", async () => await call);
        using var unknown = await Drafts.StartDraft(client, NewId());
        await FailsWith(StatusCode.NotFound, async () => await unknown);
        using var bad = await Drafts.StartDraft(client, "nope");
        await FailsOnField("start.conversation_id", async () => await bad);
    }
}

/// <summary>A draft that receives no text for Drafts:IdleTimeout is abandoned.</summary>
public sealed class IdleDraftTests(IdleDraftTests.Server server) : IClassFixture<IdleDraftTests.Server>
{
    public sealed class Server() : TimelyServer(clock: null, new Dictionary<string, string?> { ["Drafts:IdleTimeout"] = "00:00:00.500" });

    [Fact]
    public async Task DraftWithoutTextForTheIdleTimeIsAbandoned()
    {
        var client = server.Client;
        var conversation = await client.CreateAsync();
        await using var stream = new LiveReader<StreamMessagesResponse>(ct => client.StreamMessages(
            new StreamMessagesRequest { ConversationId = conversation.Id, IncludeLive = true }, cancellationToken: ct));
        await stream.Subscribed;
        using var call = await Drafts.StartDraft(client, conversation.Id);
        await Drafts.Piece(call, "Hmm");

        var abandoned = await stream.Next(r => r.ReplyDraft?.State == ReplyDraftState.Abandoned);
        Assert.Equal(ReplyDraftAbandonReason.Idle, abandoned.ReplyDraft.AbandonReason);
        await FailsWith(StatusCode.DeadlineExceeded, async () => await call);
    }
}
