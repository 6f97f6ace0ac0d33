using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Timely.Server.Api;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.Storage;

public static class StorageSetup
{
    /// <summary>The store chosen by Storage:Provider, its schema migration at start-up, and its health check.</summary>
    public static IServiceCollection AddConversationStore(this IServiceCollection services, IConfiguration configuration)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .Validate(o => o.Provider is "sqlite", "Storage:Provider must be \"sqlite\"")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Sqlite.Path), "Storage:Sqlite:Path must name a file")
            .ValidateOnStart();
        services.AddSingleton<StoreDialect, SqliteDialect>();
        services.AddSingleton<IConversationStore, ConversationStore>();
        services.AddSingleton<TokenCodec>();
        services.AddHostedService<StoreInitializer>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");
        return services;
    }
}

/// <summary>Migrates the schema and loads the shared signing key before the server takes calls.</summary>
public sealed class StoreInitializer(StoreDialect dialect, IConversationStore store, TokenCodec tokens) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await dialect.MigrateAsync(ct);
        await tokens.InitializeAsync(store, ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Healthy while the database answers; the gRPC health service reports NOT_SERVING otherwise.</summary>
public sealed class StoreHealthCheck(IConversationStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await store.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("the database does not answer", e);
        }
    }
}
