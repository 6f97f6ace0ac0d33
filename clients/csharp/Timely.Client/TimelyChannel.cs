using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace Timely.Client;

/// <summary>How the client's channel is set up, the same with or without dependency injection: the
/// <see cref="TimelyClient(TimelyClientOptions)"/> constructor and <c>AddTimelyClient</c> both use it.</summary>
internal static class TimelyChannel
{
    /// <summary>The HTTP/2 handler: keepalive pings keep idle streams alive (and notice a dead connection),
    /// more connections open when one is full of streams, and idle ones are kept.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        EnableMultipleHttp2Connections = true,
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Sets the retries of unary calls and the reconnect backoff of <paramref name="channel"/>.</summary>
    public static void Configure(GrpcChannelOptions channel, TimelyClientOptions options)
    {
        channel.ServiceConfig = ServiceConfig(options);
        // Come back quickly after a server restart (the default waits from 1 s up to 2 minutes).
        channel.InitialReconnectBackoff = TimeSpan.FromMilliseconds(100);
        channel.MaxReconnectBackoff = options.MaxReconnectDelay;
    }

    /// <summary>gRPC's own retries for unary calls: UNAVAILABLE is retried with exponential backoff.
    /// Writes are safe to retry because each carries a request id.</summary>
    private static ServiceConfig ServiceConfig(TimelyClientOptions options) => new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = options.MaxAttempts <= 1 ? null : new RetryPolicy
                {
                    MaxAttempts = options.MaxAttempts,
                    InitialBackoff = TimeSpan.FromMilliseconds(200),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };
}
