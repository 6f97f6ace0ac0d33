using Microsoft.Extensions.Options;
using Timely.Server.Api;

namespace Timely.Server.Webhooks;

public static class WebhookSetup
{
    /// <summary>The webhook store, API and dispatcher, and the "webhooks" HttpClient: no redirects, no
    /// proxy, no cookies, and the address check on every connection.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section))
            .Validate(o => o.Timeout > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero && o.FirstRetryDelay > TimeSpan.Zero
                && o.MaxRetryDelay >= o.FirstRetryDelay && o.ConcurrencyPerEndpoint > 0 && o.BatchSize > 0
                && o.MaxPendingPerEndpoint > 0 && o.LeaseDuration > TimeSpan.Zero && o.DisableAfter > TimeSpan.Zero,
                "Webhooks: durations and counts must be positive, MaxRetryDelay at least FirstRetryDelay")
            .ValidateOnStart();
        services.AddSingleton<WebhookStore>();
        services.AddSingleton<AddressPolicy>();
        services.AddSingleton<WebhookPayload>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddHostedService<WebhookRetention>();
        services.AddHttpClient(WebhookSender.ClientName, (sp, client) =>
            {
                client.Timeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout + TimeSpan.FromSeconds(1);
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Timely-Webhooks/1");
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                ConnectCallback = sp.GetRequiredService<AddressPolicy>().ConnectAsync,
            });
        return services;
    }

    public static WebApplication MapWebhooks(this WebApplication app)
    {
        app.MapGrpcService<WebhookApi>().RequireCors(ApiSetup.CorsPolicy);
        return app;
    }
}
