using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Timely.Client;

/// <summary>Registration of the Timely client in a service collection.</summary>
public static class TimelyServiceCollectionExtensions
{
    /// <summary>Registers <see cref="TimelyClient"/> through Grpc.Net.ClientFactory, configured by
    /// <paramref name="configure"/>, with the channel the <see cref="TimelyClient(TimelyClientOptions)"/> constructor
    /// builds (keepalive, reconnect backoff, retries).</summary>
    public static IServiceCollection AddTimelyClient(this IServiceCollection services, Action<TimelyClientOptions> configure)
    {
        services.AddOptions<TimelyClientOptions>().Configure(configure);
        services.AddGrpcClient<TimelyClient>((sp, o) => o.Address = Options(sp).Address)
            .ConfigurePrimaryHttpMessageHandler(TimelyChannel.CreateHandler)
            .ConfigureChannel((sp, channel) => TimelyChannel.Configure(channel, Options(sp)))
            .AddInterceptor(sp => new CallDefaultsInterceptor(Options(sp)));
        return services;
    }

    private static TimelyClientOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<TimelyClientOptions>>().Value;
}
