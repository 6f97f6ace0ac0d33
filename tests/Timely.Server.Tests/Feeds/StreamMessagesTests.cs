using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

public sealed class StreamMessagesTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task SubscriberJoiningWhileFourWritersSendReceivesOneToNInOrder()
    {
        var conversation = await client.CreateAsync();
        const int writers = 4, perWriter = 200, total = writers * perWriter;
        var sending = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await client.SendAsync(conversation.Id, SenderType.Customer, $"{w}/{i}");
            }
        })));
        await Eventually(async () => (await client.GetAsync(conversation.Id)).LastSequence >= 50, "the writers to get going");

        var received = await Read(conversation.Id, afterSequence: 0, count: total);
        await sending;

        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), received.Select(m => m.Sequence));
    }

    [Fact]
    public async Task ClientThatResumesFromItsLastSequenceGetsExactlyTheRest()
    {
        var conversation = await client.CreateAsync();
        for (var i = 1; i <= 10; i++)
        {
            await client.SendAsync(conversation.Id, SenderType.Customer, $"m{i}");
        }
        var firstPart = await Read(conversation.Id, afterSequence: 0, count: 6);   // then disconnects
        for (var i = 11; i <= 20; i++)
        {
            await client.SendAsync(conversation.Id, SenderType.AiAgent, $"m{i}");
        }
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });

        var rest = await ReadToEnd(conversation.Id, afterSequence: firstPart[^1].Sequence);

        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"m{i}"), firstPart.Select(m => m.Content));
        Assert.Equal(Enumerable.Range(7, 14).Select(i => $"m{i}"), rest.Select(m => m.Content));
    }

    [Fact]
    public async Task TwoHundredConcurrentSubscribersAllReceiveEveryMessage()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "first");
        using var channel = server.NewChannel();
        var subscriberClient = server.ClientWith(server.AdminKey, channel);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Each subscriber has seen message 1 before the writer starts, so all of them are live.
        var calls = new List<AsyncServerStreamingCall<StreamMessagesResponse>>();
        for (var i = 0; i < 200; i++)
        {
            var call = subscriberClient.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);
            Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
            calls.Add(call);
        }
        var readers = calls.Select(call => Task.Run(async () =>
        {
            var sequences = new List<long>();
            while (await call.ResponseStream.MoveNext(timeout.Token))
            {
                sequences.Add(call.ResponseStream.Current.Message.Sequence);
            }
            return sequences;
        })).ToList();

        for (var i = 2; i <= 50; i++)
        {
            await client.SendAsync(conversation.Id, SenderType.AiAgent, $"m{i}");
        }
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });

        foreach (var sequences in await Task.WhenAll(readers))
        {
            Assert.Equal(Enumerable.Range(2, 49).Select(i => (long)i), sequences);
        }
        calls.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task StreamEndsWithOkAfterItsConversationCloses()
    {
        var conversation = await client.CreateAsync();
        using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
        await client.SendAsync(conversation.Id, SenderType.Customer, "one");
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "two");
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });

        var received = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            received.Add(call.ResponseStream.Current.Message.Content);
        }
        Assert.Equal(["one", "two"], received);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);

        // A closed conversation replays its messages, then ends at once.
        Assert.Equal(2, (await ReadToEnd(conversation.Id, 0)).Count);
    }

    [Fact]
    public async Task PositionsOutsideTheConversationAreRefused()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "one");
        await FailsWith(StatusCode.OutOfRange, () => ReadToEnd(conversation.Id, afterSequence: 2));
        await FailsOnField("after_sequence", () => ReadToEnd(conversation.Id, afterSequence: -1));
        await FailsOnField("conversation_id", () => ReadToEnd("nope", afterSequence: 0));
    }

    /// <summary>A live message is serialized once for all its subscribers (Api/FanOutResponses.cs): gRPC and grpc-web
    /// subscribers of the stream and of a watch read it back whole, equal to what the conversation lists.</summary>
    [Fact]
    public async Task LiveMessageReachesGrpcAndGrpcWebSubscribersOfStreamAndWatchWhole()
    {
        using var webChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.WebPort}", new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, new HttpClientHandler()),
            HttpVersion = System.Net.HttpVersion.Version11,
            HttpVersionPolicy = System.Net.Http.HttpVersionPolicy.RequestVersionExact,
        });
        var web = server.ClientWith(server.AdminKey, webChannel);
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var streams = new[] { client, web, client }
            .Select(c => c.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token)).ToList();
        var watches = new[] { client, web, web }
            .Select(c => c.WatchConversations(new WatchConversationsRequest { AgentId = agent }, cancellationToken: timeout.Token)).ToList();
        await Task.WhenAll(watches.Select(w => w.ResponseHeadersAsync));

        await client.SendAsync(conversation.Id, SenderType.Customer, "to everyone, once");
        var listed = (await client.AllMessagesAsync(conversation.Id)).Single();
        foreach (var call in streams)
        {
            Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
            Assert.Equal(listed, call.ResponseStream.Current.Message);
        }
        foreach (var call in watches)
        {
            Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
            Assert.Equal(listed, call.ResponseStream.Current.Event.Message);
            Assert.NotEmpty(call.ResponseStream.Current.Event.Cursor);
        }
        streams.ForEach(c => c.Dispose());
        watches.ForEach(c => c.Dispose());
    }

    private async Task<List<Message>> Read(string conversationId, long afterSequence, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = afterSequence }, cancellationToken: timeout.Token);
        var received = new List<Message>();
        while (received.Count < count && await call.ResponseStream.MoveNext(timeout.Token))
        {
            received.Add(call.ResponseStream.Current.Message);
        }
        return received;
    }

    private async Task<List<Message>> ReadToEnd(string conversationId, long afterSequence)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = afterSequence }, cancellationToken: timeout.Token);
        var received = new List<Message>();
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            received.Add(call.ResponseStream.Current.Message);
        }
        return received;
    }
}
