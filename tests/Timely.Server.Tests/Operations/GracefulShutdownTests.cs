using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Testing;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Operations;

/// <summary>SIGTERM, as an orchestrator stops a replica: health says NOT_SERVING first, streams end with
/// UNAVAILABLE so their clients resume elsewhere, unary calls are answered through the drain delay,
/// and the process exits cleanly.</summary>
public sealed class GracefulShutdownTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-shutdown-").FullName;

    [Fact]
    public async Task SigtermDrainsThenExits()
    {
        using var server = new ServerProcess(Path.Combine(AppContext.BaseDirectory, "timely-server.dll"), new Dictionary<string, string>
        {
            ["Storage:Sqlite:Path"] = Path.Combine(folder, "timely.db"),
            ["Shutdown:DrainDelay"] = "00:00:04",
        });
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new ConversationService.ConversationServiceClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + server.AdminKey);
            return m;
        }));
        var health = new Health.HealthClient(channel);
        var conversation = await client.CreateAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var stream = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);
        await stream.ResponseHeadersAsync;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);

        var exited = server.TerminateAsync(TimeSpan.FromSeconds(30));

        var ended = await FailsWith(StatusCode.Unavailable, () => stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Contains("resume", ended.Status.Detail);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
        // Still answering while load balancers take it out.
        var sent = await client.SendAsync(conversation.Id, SenderType.Customer, "during the drain");
        Assert.Equal(1, sent.Message.Sequence);
        Assert.False(exited.IsCompleted, "the server stopped before its drain delay");

        Assert.Equal(0, await exited);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
