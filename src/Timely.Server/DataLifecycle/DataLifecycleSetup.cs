using Timely.Server.Api;

namespace Timely.Server.DataLifecycle;

public static class DataLifecycleSetup
{
    /// <summary>Erasures (store, runner), the retention sweeper, the transcript export and the DataService.</summary>
    public static IServiceCollection AddDataLifecycle(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DataLifecycleOptions>()
            .Bind(configuration.GetSection(DataLifecycleOptions.Section))
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "DataLifecycle:BatchSize must be between 1 and 10000")
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.LeaseDuration > TimeSpan.Zero && o.RetentionInterval > TimeSpan.Zero,
                "DataLifecycle:PollInterval, LeaseDuration and RetentionInterval must be positive")
            .ValidateOnStart();
        services.AddSingleton<ErasureStore>();
        services.AddSingleton<ErasureRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ErasureRunner>());
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionSweeper>());
        services.AddSingleton<TranscriptExport>();
        return services;
    }

    public static WebApplication MapDataLifecycle(this WebApplication app)
    {
        app.MapGrpcService<DataApi>().RequireCors(ApiSetup.CorsPolicy);
        return app;
    }
}
