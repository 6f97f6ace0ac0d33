using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

public sealed class ClientTests(SdkServer server) : IClassFixture<SdkServer>
{
    private static string NewId() => Guid.NewGuid().ToString();

    [Fact]
    public async Task ReceiptsAndTheUpdatesOfAMessageStreamWorkThroughTheSdk()
    {
        using var timely = server.NewClient();
        var human = NewId();
        var conversation = (await timely.CreateConversationAsync(new CreateConversationRequest { AgentId = NewId(), ChannelId = NewId(), ContactId = NewId() })).Conversation;
        var sent = (await timely.SendMessageAsync(new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.AiAgent, Content = "We open at 8." })).Message;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var items = timely.StreamMessagesWithUpdatesAsync(conversation.Id, ct: timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await items.MoveNextAsync());
        Assert.Equal(1, items.Current.Message.Sequence);

        Assert.True((await timely.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest { ConversationId = conversation.Id, MessageId = sent.Id, Status = DeliveryStatus.Delivered })).Changed);
        var edited = (await timely.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = sent.Id, Content = "We open at 9.", Revision = sent.Revision, EditorType = SenderType.HumanAgent, EditorId = human,
        })).Message;
        await timely.MarkReadAsync(new MarkReadRequest { ConversationId = conversation.Id, ParticipantType = ReadParticipantType.HumanAgent, ParticipantId = human, UpToSequence = 1 });
        var redacted = (await timely.RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = sent.Id })).Message;
        await timely.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });

        var updates = new List<ConversationEventType>();
        while (await items.MoveNextAsync())
        {
            updates.Add(items.Current.Update.Type);
        }
        await items.DisposeAsync();
        Assert.Equal(2, edited.Revision);
        Assert.True(redacted.Redacted);
        Assert.Equal([ConversationEventType.MessageStatusChanged, ConversationEventType.MessageEdited, ConversationEventType.ReadHorizonChanged,
            ConversationEventType.MessageRedacted], updates);
    }

    [Fact]
    public async Task EveryRpcWorksThroughTheSdk()
    {
        using var timely = server.NewClient();
        var agent = NewId();

        var created = (await timely.CreateConversationAsync(new CreateConversationRequest { AgentId = agent, ChannelId = NewId(), ContactId = NewId(), Tags = { "new" } })).Conversation;
        Assert.Equal(created, (await timely.GetConversationAsync(new GetConversationRequest { Id = created.Id })).Conversation);
        Assert.Single((await timely.ListConversationsAsync(new ListConversationsRequest { AgentId = agent })).Conversations);
        var updated = (await timely.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = created.Id, Subject = "Billing" },
            UpdateMask = new FieldMask { Paths = { "subject" } },
        })).Conversation;
        Assert.Equal("Billing", updated.Subject);
        var sent = await timely.SendMessageAsync(new SendMessageRequest { ConversationId = created.Id, SenderType = SenderType.AiAgent, Content = "Hi!" });
        Assert.Equal(1, sent.Message.Sequence);
        Assert.Single((await timely.ListMessagesAsync(new ListMessagesRequest { ConversationId = created.Id })).Messages);
        Assert.Equal(ConversationStatus.Human, (await timely.HandoffConversationAsync(new HandoffConversationRequest { Id = created.Id, AssignedTo = NewId() })).Conversation.Status);
        Assert.Equal(ConversationStatus.Open, (await timely.ResumeConversationAsync(new ResumeConversationRequest { Id = created.Id })).Conversation.Status);
        var ingested = await timely.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = created.ChannelId, ContactId = created.ContactId, AgentId = agent, Content = "Where is my refund?",
        });
        Assert.Equal(created.Id, ingested.Conversation.Id);
        Assert.Equal(ConversationStatus.Closed, (await timely.CloseConversationAsync(new CloseConversationRequest { Id = created.Id })).Conversation.Status);

        var streamed = new List<long>();
        await foreach (var m in timely.StreamMessagesAsync(created.Id))
        {
            streamed.Add(m.Sequence);
        }
        Assert.Equal([1L, 2L], streamed);   // the stream of a closed conversation replays and completes

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var watch = timely.WatchConversationsAsync(new WatchConversationsRequest { AgentId = agent }, timeout.Token).GetAsyncEnumerator(timeout.Token);
        var next = watch.MoveNextAsync().AsTask();
        while (!next.IsCompleted)
        {
            await timely.CreateConversationAsync(new CreateConversationRequest { AgentId = agent, ChannelId = NewId(), ContactId = NewId() });
            await Task.WhenAny(next, Task.Delay(100, timeout.Token));
        }
        Assert.True(await next);
        Assert.Equal(ConversationEventType.Created, watch.Current.Type);
        await watch.DisposeAsync();
    }

    [Fact]
    public async Task TheApiKeyTravelsOnEveryCallAndAWrongOneIsUnauthenticated()
    {
        using var anonymous = new TimelyClient(new TimelyClientOptions { Address = server.Process.GrpcAddress, ApiKey = "tly_wrong" });
        var error = await Assert.ThrowsAsync<RpcException>(() => anonymous.ListConversationsAsync(new ListConversationsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in anonymous.StreamMessagesAsync(NewId()))
            {
            }
        });
    }

    [Fact]
    public void BlockingCallsCarryTheKeyAndARequestIdToo()
    {
        using var timely = server.NewClient();
        var request = new CreateConversationRequest { AgentId = NewId(), ChannelId = NewId(), ContactId = NewId() };
        var created = timely.CreateConversation(request).Conversation;
        Assert.NotEqual("", request.RequestId);
        Assert.Equal(created.Id, timely.GetConversation(new GetConversationRequest { Id = created.Id }).Conversation.Id);
    }

    [Fact]
    public async Task AutomaticRequestIdMakesARetriedSendWriteOnce()
    {
        using var timely = server.NewClient();
        var conversation = (await timely.CreateConversationAsync(new CreateConversationRequest { AgentId = NewId(), ChannelId = NewId(), ContactId = NewId() })).Conversation;
        var request = new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "refund please" };

        var first = await timely.SendMessageAsync(request);
        Assert.NotEmpty(request.RequestId);   // filled in by the SDK before sending
        var retried = await timely.SendMessageAsync(request);

        Assert.Equal(first.Message, retried.Message);
        Assert.Single((await timely.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversation.Id })).Messages);
    }

    [Fact]
    public async Task EveryWriteThatTakesARequestIdGetsOne()
    {
        using var timely = server.NewClient();
        var create = new CreateConversationRequest { AgentId = NewId(), ChannelId = NewId(), ContactId = NewId() };
        var conversation = (await timely.CreateConversationAsync(create)).Conversation;
        var ingest = new IngestCustomerMessageRequest { AgentId = conversation.AgentId, ChannelId = conversation.ChannelId, ContactId = conversation.ContactId, Content = "hello" };
        await timely.IngestCustomerMessageAsync(ingest);
        var given = new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "hi", RequestId = NewId() };
        var kept = given.RequestId;
        await timely.SendMessageAsync(given);

        Assert.True(Guid.TryParse(create.RequestId, out _));
        Assert.True(Guid.TryParse(ingest.RequestId, out _));
        Assert.Equal(kept, given.RequestId);   // one the caller set is left alone
    }

    [Fact]
    public async Task ErrorsCarryTheirStatusAndDetails()
    {
        using var timely = server.NewClientFromContainer();
        var bad = await Assert.ThrowsAsync<RpcException>(() => timely.CreateConversationAsync(new CreateConversationRequest { AgentId = "x" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains(bad.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "agent_id");

        var conversation = (await timely.CreateConversationAsync(new CreateConversationRequest { AgentId = NewId(), ChannelId = NewId(), ContactId = NewId() })).Conversation;
        var refused = await Assert.ThrowsAsync<RpcException>(() => timely.ResumeConversationAsync(new ResumeConversationRequest { Id = conversation.Id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("TRANSITION_NOT_ALLOWED", refused.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Reason);
    }
}
