namespace Timely.Server.Inactivity;

public static class LifecycleSetup
{
    /// <summary>The inactivity rules (open to waiting to closed), applied by a background sweeper.</summary>
    public static IServiceCollection AddInactivityRules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LifecycleOptions>()
            .Bind(configuration.GetSection(LifecycleOptions.Section))
            .Validate(o => o.WaitingAfter > TimeSpan.Zero, "Lifecycle:WaitingAfter must be positive")
            .Validate(o => o.CloseAfter > o.WaitingAfter, "Lifecycle:CloseAfter must be longer than Lifecycle:WaitingAfter")
            .Validate(o => o.SweepInterval > TimeSpan.Zero, "Lifecycle:SweepInterval must be positive")
            .ValidateOnStart();
        services.AddSingleton<InactivitySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<InactivitySweeper>());
        return services;
    }
}
