using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using Timely.Testing;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Operations;

/// <summary>The server killed (SIGKILL) again and again under concurrent writers that retry with the
/// same request id until they are answered: every acknowledged message is there, once, with the
/// sequence it was acknowledged with, and no retry wrote twice. On SQLite with each synchronous
/// setting (group commit answers a write only after its group is committed), and on PostgreSQL.</summary>
public sealed class CrashTests : IDisposable
{
    private const int Writers = 8;
    private const int Kills = 3;
    private readonly string dataFolder = Directory.CreateTempSubdirectory("timely-crash-").FullName;
    private readonly TestDatabase? database = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();

    [SkippableTheory]
    [InlineData("Normal")]
    [InlineData("Full")]
    public async Task KillsUnderConcurrentWritersLoseNoAcknowledgedMessageAndRetriesWriteOnce(string synchronous)
    {
        Skip.If(database is not null && synchronous == "Full", "the synchronous setting is SQLite's; PostgreSQL runs once");
        var settings = database is null
            ? new Dictionary<string, string> { ["Storage:Sqlite:Path"] = Path.Combine(dataFolder, "timely.db"), ["Storage:Sqlite:Synchronous"] = synchronous }
            : new Dictionary<string, string> { ["Storage:Provider"] = "postgres", ["ConnectionStrings:Timely"] = database.ConnectionString };
        using var server = new ServerProcess(Path.Combine(AppContext.BaseDirectory, "timely-server.dll"), settings);
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress, new GrpcChannelOptions
        {
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),   // back soon after each restart
            MaxReconnectBackoff = TimeSpan.FromMilliseconds(500),
        });
        var client = new ConversationService.ConversationServiceClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + server.AdminKey);
            return m;
        }));
        var conversation = await client.CreateAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var killed = 0;
        var writing = Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; Volatile.Read(ref killed) < Kills; i++)   // write until the last kill is over
            {
                var request = new SendMessageRequest
                {
                    ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = $"{w}/{i}", RequestId = NewId(),
                };
                while (true)
                {
                    try
                    {
                        var sent = await client.SendMessageAsync(request, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: timeout.Token);
                        acknowledged[request.Content] = sent.Message.Sequence;
                        break;
                    }
                    catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown)
                    {
                        await Task.Delay(50, timeout.Token);   // the server is down: retry the same request
                    }
                }
            }
        })));

        for (var kill = 0; kill < Kills; kill++)
        {
            // Each kill lands while the writers are busy: after some more writes were acknowledged.
            var before = acknowledged.Count;
            while (acknowledged.Count < before + 4 * Writers)
            {
                await Task.Delay(10, timeout.Token);
            }
            await Task.Delay(Random.Shared.Next(0, 50), timeout.Token);
            Assert.False(writing.IsCompleted);
            server.Kill();
            await server.StartAsync();
            Interlocked.Increment(ref killed);
        }
        await writing;

        var stored = await client.AllMessagesAsync(conversation.Id);
        Assert.Equal(Enumerable.Range(1, acknowledged.Count).Select(i => (long)i), stored.Select(m => m.Sequence));
        Assert.Equal(acknowledged.Count, stored.Select(m => m.Content).Distinct().Count());
        foreach (var message in stored)
        {
            Assert.Equal(acknowledged[message.Content], message.Sequence);
        }
    }

    public void Dispose()
    {
        database?.Dispose();
        Directory.Delete(dataFolder, recursive: true);
    }
}
