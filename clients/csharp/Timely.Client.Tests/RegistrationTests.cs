using Grpc.Net.Client;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

/// <summary>AddTimelyClient builds the channel the TimelyClient(options) constructor builds.</summary>
public sealed class RegistrationTests
{
    // Grpc.Net.ClientFactory names a client's handler and channel options after its type.
    private const string ClientName = nameof(TimelyClient);

    [Fact]
    public void TheContainersClientHasKeepalivePingsQuickReconnectsAndRetries()
    {
        var services = new ServiceCollection();
        services.AddTimelyClient(o =>
        {
            o.Address = new Uri("http://localhost:50051");
            o.MaxReconnectDelay = TimeSpan.FromSeconds(3);
            o.MaxAttempts = 4;
        });
        using var provider = services.BuildServiceProvider();

        var handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(ClientName);
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler;
        }
        var sockets = Assert.IsType<SocketsHttpHandler>(handler);
        Assert.Equal(TimeSpan.FromSeconds(30), sockets.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), sockets.KeepAlivePingTimeout);
        Assert.True(sockets.EnableMultipleHttp2Connections);
        Assert.Equal(Timeout.InfiniteTimeSpan, sockets.PooledConnectionIdleTimeout);

        var channel = new GrpcChannelOptions();
        foreach (var configure in provider.GetRequiredService<IOptionsMonitor<GrpcClientFactoryOptions>>().Get(ClientName).ChannelOptionsActions)
        {
            configure(channel);
        }
        Assert.Equal(TimeSpan.FromMilliseconds(100), channel.InitialReconnectBackoff);
        Assert.Equal(TimeSpan.FromSeconds(3), channel.MaxReconnectBackoff);
        Assert.Equal(4, Assert.Single(channel.ServiceConfig!.MethodConfigs).RetryPolicy!.MaxAttempts);
        Assert.IsType<TimelyClient>(provider.GetRequiredService<TimelyClient>());   // the factory builds it with its call invoker
    }
}
