using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.Data.Sqlite;
using Timely.Conversations.V1;
using Timely.Server.Hosting;
using Timely.Server.Storage.Sqlite;
using Timely.Server.Tests.Infrastructure;
using Timely.Testing;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Operations;

/// <summary>The conventions gRPC users expect: reflection, health, UNAVAILABLE while the database is gone.</summary>
public sealed class OperationsTests
{
    [Theory]
    [InlineData("Lifecycle:CloseAfter", "00:01:00", "Lifecycle:CloseAfter must be longer than Lifecycle:WaitingAfter")]
    [InlineData("Storage:Provider", "mysql", "Storage:Provider must be")]
    [InlineData("Limits:MaxStreamsPerKey", "0", "Limits:MaxStreamsPerKey must be positive")]
    [InlineData("Feeds:EventRetention", "-1.00:00:00", "Feeds:EventRetention must be positive")]
    [InlineData("Auth:BootstrapAdminKey", "tly_0123456789abcdefghijklmnopq", "Auth:BootstrapAdminKey must be at least 32 characters")]
    public async Task BadConfigurationStopsTheStartWithAMessageNamingTheKey(string key, string value, string message)
    {
        // The real program, as an operator starts it: it must exit and say why.
        var folder = Directory.CreateTempSubdirectory("timely-config-").FullName;
        using var server = new ServerProcess(Path.Combine(AppContext.BaseDirectory, "timely-server.dll"), new Dictionary<string, string>
        {
            ["Storage:Sqlite:Path"] = Path.Combine(folder, "timely.db"),
            [key] = value,
        });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);
        Assert.Contains("the server exited", error.Message);
        Assert.Contains(message, error.Message);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task ReflectionListsTheServiceAndNamesTheVersion()
    {
        using var server = new TimelyServer();
        var reflection = new ServerReflection.ServerReflectionClient(server.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("timely.conversations.v1.ConversationService", services);
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Equal(ServerVersion.Current, (await call.ResponseHeadersAsync).GetValue(ServerVersion.Header));
    }

    [SkippableFact]
    public async Task HealthIsNotServingWhileTheDatabaseIsUnreachableAndRecovers()
    {
        // On PostgreSQL, Postgres/FaultTests stops and starts a real server instead.
        Skip.If(TestDatabase.PostgresServer is not null, "takes the SQLite file away");
        using var server = new TimelyServer();
        var health = new Health.HealthClient(server.Channel);
        var client = server.Client;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        var conversation = await client.CreateAsync();

        // Take the database away: its folder becomes a plain file, so no connection can open.
        var moved = server.DataFolder + ".away";
        SqliteConnection.ClearAllPools();
        Directory.Move(server.DataFolder, moved);
        await File.WriteAllTextAsync(server.DataFolder, "not a folder");
        try
        {
            // The read pool looks at the file's path at most every SqliteReadConnections.PathCheckInterval.
            await Task.Delay(SqliteReadConnections.PathCheckInterval + TimeSpan.FromMilliseconds(50));
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
            // Liveness does not depend on the database: nothing to gain from restarting the process.
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "liveness" })).Status);
            var error = await FailsWith(StatusCode.Unavailable, () => client.GetConversationAsync(new GetConversationRequest { Id = conversation.Id }).ResponseAsync);
            Assert.Contains("unavailable", error.Status.Detail);
            await FailsWith(StatusCode.Unavailable, () => client.SendAsync(conversation.Id, SenderType.Customer));
        }
        finally
        {
            File.Delete(server.DataFolder);
            Directory.Move(moved, server.DataFolder);
        }

        // Back without a restart.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(conversation.Id, (await client.GetAsync(conversation.Id)).Id);
        Assert.Equal(1, (await client.SendAsync(conversation.Id, SenderType.Customer)).Message.Sequence);
    }
}
