using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

public sealed class ShutdownTests
{
    [Fact]
    public async Task OpenStreamsEndWithUnavailableWhenTheServerStops()
    {
        var server = new TimelyServer();
        var client = server.Client;
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "hi");
        using var channel = server.NewChannel();
        var streams = server.ClientWith(server.AdminKey, channel);
        using var messages = streams.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
        using var watch = streams.WatchConversations(new WatchConversationsRequest());
        Assert.True(await messages.ResponseStream.MoveNext(CancellationToken.None));

        var stopping = Task.Run(server.Dispose);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var error = await FailsWith(StatusCode.Unavailable, () => messages.ResponseStream.MoveNext(timeout.Token));
        Assert.Contains("resume", error.Status.Detail);
        await FailsWith(StatusCode.Unavailable, () => watch.ResponseStream.MoveNext(timeout.Token));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
