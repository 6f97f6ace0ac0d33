using System.Net;
using System.Net.Http.Headers;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using Timely.Testing;

namespace Timely.Server.Tests.Observability;

/// <summary>The server as a process of its own (its telemetry is not mixed with other tests' servers in this
/// process), on a SQLite file, or on a fresh PostgreSQL database when the suite runs there; its /metrics
/// and its whole log output.</summary>
public sealed class ObservedServer : IDisposable
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("timely-observed-").FullName;
    private readonly TestDatabase? postgres = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();
    private readonly ServerProcess process;
    private readonly GrpcChannel channel;
    private readonly HttpClient http = new();

    public ObservedServer(IDictionary<string, string> settings)
    {
        var all = new Dictionary<string, string>(settings) { ["Storage:Sqlite:Path"] = Path.Combine(dataFolder, "timely.db") };
        if (postgres is not null)
        {
            all["Storage:Provider"] = "postgres";
            all["ConnectionStrings:Timely"] = postgres.ConnectionString;
        }
        process = new ServerProcess(Path.Combine(AppContext.BaseDirectory, "timely-server.dll"), all);
        process.StartAsync().GetAwaiter().GetResult();
        channel = GrpcChannel.ForAddress(process.GrpcAddress);
        http.BaseAddress = process.WebAddress;
    }

    public bool OnPostgres => postgres is not null;

    public string AdminKey => process.AdminKey;

    public string AllOutput => process.AllOutput;

    public ConversationService.ConversationServiceClient Client => ClientWith(AdminKey);

    public ConversationService.ConversationServiceClient ClientWith(string key) => new(channel.Intercept(m =>
    {
        m.Add("authorization", "Bearer " + key);
        return m;
    }));

    /// <summary>GET /metrics on the web port (or, over HTTP/2, on the gRPC port), with <paramref name="key"/> as its
    /// bearer token when given.</summary>
    public Task<HttpResponseMessage> GetMetricsAsync(string? key = null, bool onGrpcPort = false)
    {
        var request = onGrpcPort
            ? new HttpRequestMessage(HttpMethod.Get, new Uri(process.GrpcAddress, "/metrics")) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
            : new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return http.SendAsync(request);
    }

    public void Dispose()
    {
        channel.Dispose();
        http.Dispose();
        process.Dispose();
        postgres?.Dispose();
        Directory.Delete(dataFolder, recursive: true);
    }
}

/// <summary>The suites that start an <see cref="ObservedServer"/> run alone: a server logging at Trace, or
/// sweeping every 200 ms, keeps transactions open on the shared PostgreSQL server long enough to hold back
/// the watchers of the other suites (as the replica tests would).</summary>
[CollectionDefinition(nameof(ObservedServer), DisableParallelization = true)]
public sealed class ObservedServerCollection;
