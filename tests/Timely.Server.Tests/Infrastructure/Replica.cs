using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Testing;

namespace Timely.Server.Tests.Infrastructure;

/// <summary>A server process on PostgreSQL (a replica), with clients that carry its admin key.</summary>
public sealed class Replica(string postgresConnectionString, IDictionary<string, string>? settings = null) : IDisposable
{
    private readonly ServerProcess process = new(
        Path.Combine(AppContext.BaseDirectory, "timely-server.dll"),
        new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["Storage:Provider"] = "postgres",
            ["ConnectionStrings:Timely"] = postgresConnectionString,
        });
    private GrpcChannel? channel;

    public ConversationService.ConversationServiceClient Client => new(Channel.Intercept(m =>
    {
        m.Add("authorization", "Bearer " + process.AdminKey);
        return m;
    }));

    public WebhookService.WebhookServiceClient Webhooks => new(Channel.Intercept(m =>
    {
        m.Add("authorization", "Bearer " + process.AdminKey);
        return m;
    }));

    public Health.HealthClient Health => new(Channel);

    private GrpcChannel Channel => channel ??= GrpcChannel.ForAddress(process.GrpcAddress, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
    });

    public int GrpcPort => process.GrpcPort;

    public int WebPort => process.WebPort;

    public Task StartAsync() => process.StartAsync();

    /// <summary>A graceful stop (SIGTERM); the exit code.</summary>
    public Task<int> TerminateAsync() => process.TerminateAsync(TimeSpan.FromSeconds(60));

    /// <summary>A crash (SIGKILL).</summary>
    public void Kill() => process.Kill();

    public void Dispose()
    {
        channel?.Dispose();
        process.Dispose();
    }
}
