using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Timely.Server.Hosting;

public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>How long a stopping server keeps answering, health already NOT_SERVING, before it stops
    /// listening: the time a load balancer or Kubernetes takes to stop sending it calls.</summary>
    public TimeSpan DrainDelay { get; set; }

    /// <summary>How long calls in flight may take to finish once the server stops listening.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>A graceful stop (SIGTERM) in order: health turns NOT_SERVING and open streams end with
/// UNAVAILABLE (their cue to resume on another replica, ConversationApi); unary calls are still
/// answered for Shutdown:DrainDelay; then Kestrel stops listening and lets calls in flight finish
/// within Shutdown:Timeout.</summary>
public sealed partial class GracefulShutdown(IHostApplicationLifetime lifetime, IOptions<ShutdownOptions> options, ILogger<GracefulShutdown> logger)
    : IHostedLifecycleService, IHealthCheck
{
    private volatile bool stopping;

    public bool IsStopping => stopping || lifetime.ApplicationStopping.IsCancellationRequested;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        stopping = true;
        LogDraining(options.Value.DrainDelay);
        try
        {
            await Task.Delay(options.Value.DrainDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's own shutdown timeout ran out first: stop now.
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(IsStopping ? HealthCheckResult.Unhealthy("the server is shutting down") : HealthCheckResult.Healthy());

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: health is NOT_SERVING, streams end; answering calls for {DrainDelay} more")]
    private partial void LogDraining(TimeSpan drainDelay);
}

public static class GracefulShutdownSetup
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ShutdownOptions>()
            .Bind(configuration.GetSection(ShutdownOptions.Section))
            .Validate(o => o.DrainDelay >= TimeSpan.Zero, "Shutdown:DrainDelay must not be negative")
            .Validate(o => o.Timeout > TimeSpan.Zero, "Shutdown:Timeout must be positive")
            .ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = shutdown.Value.DrainDelay + shutdown.Value.Timeout);
        services.AddSingleton<GracefulShutdown>();
        services.AddHostedService(sp => sp.GetRequiredService<GracefulShutdown>());
        services.AddHealthChecks().AddCheck<GracefulShutdown>("serving");
        return services;
    }
}
