using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Auth;

/// <summary>A revoked key loses its open streams too, not only its next calls.</summary>
public sealed class RevocationTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    [Fact]
    public async Task RevokingAKeyEndsItsOpenStreamsWithUnauthenticated()
    {
        var (secret, id) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Write);
        var client = server.ClientWith(secret);
        var conversation = await client.CreateAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var stream = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);
        using var watch = client.WatchConversations(new WatchConversationsRequest(), cancellationToken: timeout.Token);
        await stream.ResponseHeadersAsync;
        await watch.ResponseHeadersAsync;
        await client.SendAsync(conversation.Id, SenderType.Customer, "before");
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));

        await server.GetService<ApiKeyStore>().RevokeAsync(id, CancellationToken.None);

        foreach (var next in new Func<Task>[]
        {
            async () => { while (await stream.ResponseStream.MoveNext(timeout.Token)) { } },
            async () => { while (await watch.ResponseStream.MoveNext(timeout.Token)) { } },
        })
        {
            var error = await Assert.ThrowsAsync<RpcException>(next);
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }
        Assert.False(timeout.IsCancellationRequested);
    }
}
