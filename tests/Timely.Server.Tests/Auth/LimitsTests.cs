using Google.Rpc;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Auth;

/// <summary>Per-key limits with small values, so they engage.</summary>
public sealed class LimitedServer() : TimelyServer(clock: null, new Dictionary<string, string?>
{
    ["Limits:RequestsPerSecond"] = "5",
    ["Limits:Burst"] = "5",
    ["Grpc:MaxRequestBytes"] = "65536",
});

/// <summary>A cap of two open streams per key.</summary>
public sealed class StreamCappedServer() : TimelyServer(clock: null, new Dictionary<string, string?>
{
    ["Limits:MaxStreamsPerKey"] = "2",
});

public sealed class LimitsTests(LimitedServer server) : IClassFixture<LimitedServer>
{
    [Fact]
    public async Task RateLimitEngagesPerKeyWithARetryDelayAndReleases()
    {
        var (key, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Read);
        var (otherKey, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Read);
        var client = server.ClientWith(key);
        var request = new ListConversationsRequest { PageSize = 1 };

        RpcException? refused = null;
        for (var i = 0; i < 50 && refused is null; i++)
        {
            try
            {
                await client.ListConversationsAsync(request);
            }
            catch (RpcException e)
            {
                refused = e;
            }
        }
        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        var retry = refused.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.ToTimeSpan() > TimeSpan.Zero);

        // Another key has its own budget.
        await server.ClientWith(otherKey).ListConversationsAsync(request);
        // And the budget refills.
        await Task.Delay(retry.RetryDelay.ToTimeSpan() + TimeSpan.FromMilliseconds(300));
        await client.ListConversationsAsync(request);
    }

    [Fact]
    public async Task StreamCapEngagesPerKeyAndReleasesWhenAStreamEnds()
    {
        using var server = new StreamCappedServer();
        var (key, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Write);
        var client = server.ClientWith(key);
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "hi");
        var open = new List<AsyncServerStreamingCall<StreamMessagesResponse>>();
        for (var i = 0; i < 2; i++)
        {
            var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            open.Add(call);
        }

        var third = await FailsWith(StatusCode.ResourceExhausted, async () =>
        {
            using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Contains("streams", third.Status.Detail);
        Assert.NotNull(third.GetRpcStatus()?.GetDetail<RetryInfo>());

        open[0].Dispose();
        await Eventually(async () =>
        {
            try
            {
                using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
                return await call.ResponseStream.MoveNext(CancellationToken.None);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, "a stream slot to free up");
        open[1].Dispose();
    }

    [Fact]
    public async Task RequestOverTheSizeLimitIsRefused()
    {
        var client = server.ClientWith((await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Write)).Secret);
        var conversation = await client.CreateAsync();
        var request = new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "x" };
        for (var i = 0; i < 30; i++)
        {
            request.Metadata[$"k{i}"] = new string('v', 1000);
        }
        request.Content = new string('y', 40_000);
        await FailsWith(StatusCode.ResourceExhausted, () => client.SendMessageAsync(request).ResponseAsync);
        Assert.Equal(0, (await client.GetAsync(conversation.Id)).LastSequence);
    }
}
