using Google.Rpc;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.Auth;

/// <summary>A small budget of failed authentications per address, and keys trusted for a while.</summary>
public sealed class FailureBudgetServer() : TimelyServer(clock: null, new Dictionary<string, string?>
{
    ["Limits:FailedAuthenticationsPerSecond"] = "1",
    ["Limits:FailedAuthenticationsBurst"] = "5",
    ["Auth:KeyCacheTtl"] = "00:01:00",
});

public sealed class FailedAuthenticationTests(FailureBudgetServer server) : IClassFixture<FailureBudgetServer>
{
    [Fact]
    public async Task AFloodOfUnknownKeysIsThrottledPerAddressWhileAWorkingKeyGoesOn()
    {
        var admin = server.Client;
        await admin.ListConversationsAsync(new ListConversationsRequest());   // a key that works is trusted from now on

        var codes = new List<StatusCode>();
        RpcException? last = null;
        for (var i = 0; i < 12; i++)
        {
            last = await Assert.ThrowsAsync<RpcException>(async () =>
                await server.ClientWith(ApiKeySecrets.NewSecret()).ListConversationsAsync(new ListConversationsRequest()));
            codes.Add(last.StatusCode);
        }

        Assert.Equal(5, codes.Count(c => c == StatusCode.Unauthenticated));   // the burst, then no more lookups
        Assert.Equal(StatusCode.ResourceExhausted, codes[^1]);
        Assert.NotNull(last!.GetRpcStatus()?.GetDetail<RetryInfo>());
        await admin.ListConversationsAsync(new ListConversationsRequest());
    }

    [Fact]
    public async Task BehindATrustedProxyTheBudgetIsTheForwardedClients()
    {
        // Loopback is a trusted proxy (as nginx in deploy/ is): two clients behind it have a budget each.
        async Task<StatusCode> Fail(string client)
        {
            var call = server.ClientWith(ApiKeySecrets.NewSecret()).ListConversationsAsync(new ListConversationsRequest(),
                new Metadata { { "x-forwarded-for", client } });
            return (await Assert.ThrowsAsync<RpcException>(async () => await call)).StatusCode;
        }

        var first = new List<StatusCode>();
        for (var i = 0; i < 8; i++)
        {
            first.Add(await Fail("203.0.113.5"));
        }
        Assert.Equal(StatusCode.ResourceExhausted, first[^1]);
        Assert.Equal(StatusCode.Unauthenticated, await Fail("203.0.113.6"));
    }
}
