using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Storage;
using Timely.Testing;

namespace Timely.Server.Tests.Infrastructure;

/// <summary>The real server on real Kestrel on loopback, over a real SQLite file in a fresh folder, or,
/// when TIMELY_TEST_POSTGRES names a PostgreSQL server, over a fresh database on it. Both endpoints of
/// production are there: native gRPC (HTTP/2 only) and the HTTP/1.1 one.</summary>
public class TimelyServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;
    private GrpcChannel? channel;

    public TimelyServer() : this(clock: null) { }

    protected TimelyServer(FakeTimeProvider? clock, IDictionary<string, string?>? settings = null)
    {
        Clock = clock;
        DataFolder = Directory.CreateTempSubdirectory("timely-test-").FullName;
        GrpcPort = ServerProcess.FreePort();
        WebPort = ServerProcess.FreePort();
        this.settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel:Endpoints:Web:Url"] = $"http://127.0.0.1:{WebPort}",
            ["Storage:Sqlite:Path"] = Path.Combine(DataFolder, "timely.db"),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Auth:BootstrapAdminKey"] = AdminKey,
            ["Auth:KeyCacheTtl"] = "00:00:00",
            // Suites hammer the server on purpose; LimitsTests checks the limits with their defaults' shape.
            ["Limits:RequestsPerSecond"] = "1000000",
            ["Limits:Burst"] = "1000000",
            ["Limits:MaxStreamsPerKey"] = "10000",
            ["Limits:FailedAuthenticationsPerSecond"] = "1000000",
            ["Limits:FailedAuthenticationsBurst"] = "1000000",
        };
        if (TestDatabase.PostgresServer is not null)
        {
            Postgres = TestDatabase.Create();
            this.settings["Storage:Provider"] = "postgres";
            this.settings["ConnectionStrings:Timely"] = Postgres.ConnectionString;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            this.settings[key] = value;
        }
        UseKestrel();
    }

    public FakeTimeProvider? Clock { get; }

    /// <summary>The database of this server when the suite runs on PostgreSQL; null on SQLite.</summary>
    public TestDatabase? Postgres { get; }

    /// <summary>An admin key of the default workspace, registered at start-up.</summary>
    public string AdminKey { get; } = ApiKeySecrets.NewSecret();

    public string DataFolder { get; }

    public int GrpcPort { get; }

    public int WebPort { get; }

    public GrpcChannel Channel
    {
        get
        {
            if (channel is null)
            {
                StartServer();
                channel = NewChannel();
            }
            return channel;
        }
    }

    /// <summary>A client of the default workspace with an admin key.</summary>
    public ConversationService.ConversationServiceClient Client => ClientWith(AdminKey);

    /// <summary>A client that sends <paramref name="key"/> (or no key when null) on every call.</summary>
    public ConversationService.ConversationServiceClient ClientWith(string? key, GrpcChannel? channel = null)
    {
        var invoker = (channel ?? Channel).CreateCallInvoker();
        return new(key is null ? invoker : invoker.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + key);
            return metadata;
        }));
    }

    /// <summary>Creates a key through the same store the key commands use; returns its secret.</summary>
    public async Task<(string Secret, Guid Id)> CreateKeyAsync(string workspace, ApiKeyScope scope, Guid? agent = null)
    {
        var secret = ApiKeySecrets.NewSecret();
        var key = await GetService<ApiKeyStore>().CreateAsync(workspace, scope, "test", secret, agent, CancellationToken.None);
        return (secret, key.Id);
    }

    /// <summary>A channel of its own (its own connections), e.g. for a client that disconnects.</summary>
    public GrpcChannel NewChannel() => GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
    });

    public T GetService<T>() where T : notnull
    {
        _ = Channel;
        return Services.GetRequiredService<T>();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings));
        if (Clock is not null)
        {
            builder.ConfigureServices(s => s.AddSingleton<TimeProvider>(Clock));
        }
    }

    protected override void Dispose(bool disposing)
    {
        channel?.Dispose();
        base.Dispose(disposing);
        if (disposing)
        {
            Postgres?.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(DataFolder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a pooled connection: the OS temp cleaner will take it.
            }
        }
    }

}

/// <summary>A server whose clock the test moves (inactivity rules, retention). Tests run the sweepers
/// themselves; their timers tick daily, since a fake clock fires every tick it advances over.</summary>
public sealed class ClockedServer() : TimelyServer(new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T09:00:00Z")),
    new Dictionary<string, string?>
    {
        ["Lifecycle:SweepInterval"] = "1.00:00:00",
        ["DataLifecycle:PollInterval"] = "1.00:00:00",
        ["DataLifecycle:RetentionInterval"] = "1.00:00:00",
        // A timer of seconds on the fake clock fires for every second a test advances over (days: millions).
        ["Webhooks:PollInterval"] = "1.00:00:00",
    });
