using System.Data.Common;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Timely.Server.Storage.Postgres;
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
            .Configure(o => o.PostgresConnectionString = configuration.GetConnectionString("Timely"))
            .Validate(o => o.Provider is StorageOptions.SqliteProvider or StorageOptions.PostgresProvider,
                "Storage:Provider must be \"sqlite\" or \"postgres\"")
            .Validate(o => o.Provider != StorageOptions.SqliteProvider || !string.IsNullOrWhiteSpace(o.Sqlite.Path),
                "Storage:Sqlite:Path must name a file")
            .Validate(o => Enum.IsDefined(o.Sqlite.Synchronous), "Storage:Sqlite:Synchronous must be \"Normal\" or \"Full\"")
            .Validate(o => o.Provider != StorageOptions.PostgresProvider || !string.IsNullOrWhiteSpace(o.PostgresConnectionString),
                "Storage:Provider \"postgres\" needs ConnectionStrings:Timely")
            .ValidateOnStart();
        // Chosen when first needed, so configuration added late (tests, environment) is honoured.
        services.AddSingleton(sp => PostgresDataSource(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<StoreDialect>(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value.Provider == StorageOptions.PostgresProvider
            ? ActivatorUtilities.CreateInstance<PostgresDialect>(sp)
            : ActivatorUtilities.CreateInstance<SqliteDialect>(sp));
        // On PostgreSQL every replica takes its time from the database (clocks of replicas drift apart).
        services.AddSingleton(sp => new DatabaseClock(TimeProvider.System, sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ILogger<DatabaseClock>>()));
        services.AddSingleton<TimeProvider>(sp => IsPostgres(sp) ? sp.GetRequiredService<DatabaseClock>() : TimeProvider.System);
        services.AddSingleton<IHostedService>(sp => IsPostgres(sp) ? sp.GetRequiredService<DatabaseClock>() : new NothingToStart());
        services.AddSingleton<Database>();
        services.AddSingleton<IConversationStore, ConversationStore>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<ReceiptStore>();
        services.AddSingleton<SecretStore>();
        services.TryAddSingleton<IChangeObserver, NoSubscribers>();   // Feeds registers the live subscribers
        services.AddSingleton<PostgresChangeNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresChangeNotifier>());
        services.AddSingleton<IReplicaNotifier>(sp => IsPostgres(sp) ? sp.GetRequiredService<PostgresChangeNotifier>() : new NoOtherReplicas());
        services.AddHostedService<PostgresChangeListener>();
        services.AddSingleton<PostgresLiveRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresLiveRelay>());
        services.AddSingleton<ILiveRelay>(sp => IsPostgres(sp) ? sp.GetRequiredService<PostgresLiveRelay>() : new NoLiveRelay());
        services.AddHostedService<StoreInitializer>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");
        return services;
    }

    private static bool IsPostgres(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StorageOptions>>().Value.Provider == StorageOptions.PostgresProvider;

    /// <summary>The pool of PostgreSQL connections; connecting gives up after a few seconds, so calls
    /// fail fast with UNAVAILABLE while the database is down instead of hanging. Statements run often are
    /// prepared on each connection (Npgsql's automatic preparation), so PostgreSQL parses and plans them
    /// once per connection instead of once per call (0 behind a PgBouncer older than 1.21 in transaction
    /// mode). A connection given back to the pool is not reset: the server keeps no session state on a pooled
    /// connection (its listeners have connections of their own; the migrations' session lock is released
    /// before the connection goes back), and the reset cost PostgreSQL seven statements (RESET ALL, UNLISTEN *,
    /// ...) per use. A connection string that sets any of these keeps its own.</summary>
    private static NpgsqlDataSource PostgresDataSource(StorageOptions options, ILoggerFactory logging)
    {
        // The keys as written (Npgsql's own builder knows every key, set or not), compared without spaces.
        var written = new DbConnectionStringBuilder { ConnectionString = options.PostgresConnectionString };
        bool Sets(string setting) => written.Keys.Cast<string>()
            .Any(key => key.Replace(" ", "").Equals(setting, StringComparison.OrdinalIgnoreCase));
        var builder = new NpgsqlConnectionStringBuilder(options.PostgresConnectionString);
        if (!Sets("Timeout"))
        {
            builder.Timeout = 5;
        }
        if (!Sets("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }
        if (!Sets("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }
        builder.ApplicationName ??= "timely-server";
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).UseLoggerFactory(logging).Build();
    }
}

internal sealed class NothingToStart : IHostedService
{
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Migrates the schema before the server takes calls.</summary>
public sealed class StoreInitializer(StoreDialect dialect) : IHostedService
{
    public Task StartAsync(CancellationToken ct) => dialect.MigrateAsync(ct);

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Healthy while the database answers; the gRPC health service reports NOT_SERVING otherwise.</summary>
public sealed class StoreHealthCheck(Database db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await db.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("the database does not answer", e);
        }
    }
}
