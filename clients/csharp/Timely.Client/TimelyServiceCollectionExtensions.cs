using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Timely.Conversations.V1;

namespace Timely.Client;

/// <summary>Registration of the Timely client in a service collection.</summary>
public static class TimelyServiceCollectionExtensions
{
    /// <summary>Registers <see cref="TimelyClient"/> (and the generated <see cref="ConversationService.ConversationServiceClient"/>)
    /// through Grpc.Net.ClientFactory, configured by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddTimelyClient(this IServiceCollection services, Action<TimelyClientOptions> configure)
    {
        services.AddOptions<TimelyClientOptions>().Configure(configure);
        services.AddGrpcClient<ConversationService.ConversationServiceClient>((sp, o) =>
            {
                var options = sp.GetRequiredService<IOptions<TimelyClientOptions>>().Value;
                o.Address = options.Address;
            })
            .ConfigureChannel((sp, channel) => channel.ServiceConfig = TimelyClient.ServiceConfig(sp.GetRequiredService<IOptions<TimelyClientOptions>>().Value))
            .AddInterceptor(sp => new CallDefaultsInterceptor(sp.GetRequiredService<IOptions<TimelyClientOptions>>().Value))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { EnableMultipleHttp2Connections = true });
        services.AddTransient(sp => new TimelyClient(
            sp.GetRequiredService<ConversationService.ConversationServiceClient>(), sp.GetRequiredService<IOptions<TimelyClientOptions>>().Value));
        return services;
    }
}
