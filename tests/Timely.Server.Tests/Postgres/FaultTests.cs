using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Npgsql;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using Timely.Testing;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Postgres;

/// <summary>PostgreSQL stopped and started under a running server. It uses a cluster of its own (its
/// own port and folder, made by scripts/postgres.sh, removed after), so stopping it disturbs no other test.</summary>
public sealed class FaultTests
{
    [SkippableFact]
    public async Task CallsFailFastWithUnavailableWhileTheDatabaseIsDownAndRecoverWithoutRestart()
    {
        Skip.If(TestDatabase.PostgresServer is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        var port = ServerProcess.FreePort();
        var folder = Path.Combine(Path.GetTempPath(), $"timely-fault-postgres-{port}");
        var server = await Cluster("start", port, folder);
        try
        {
            using var replica = new Replica(server);
            await replica.StartAsync();
            var conversation = await replica.Client.CreateAsync();
            using var stream = replica.Client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
            await replica.Client.SendAsync(conversation.Id, SenderType.Customer, "before");
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None));

            await Cluster("stop", port, folder);

            foreach (var call in new Func<Task>[]
            {
                () => replica.Client.GetConversationAsync(new GetConversationRequest { Id = conversation.Id }).ResponseAsync,
                () => replica.Client.SendAsync(conversation.Id, SenderType.Customer, "while down"),
                () => replica.Client.ListConversationsAsync(new ListConversationsRequest()).ResponseAsync,
            })
            {
                // Fails fast: a generous bound, far below a hang.
                var error = await FailsWith(StatusCode.Unavailable, () => call().WaitAsync(TimeSpan.FromSeconds(15)));
                Assert.Contains("unavailable", error.Status.Detail);
            }
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await replica.Health.CheckAsync(new HealthCheckRequest())).Status);

            await Cluster("start", port, folder);

            await Eventually(async () =>
            {
                try
                {
                    await replica.Client.SendAsync(conversation.Id, SenderType.Customer, "after");
                    return true;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                {
                    return false;
                }
            }, "the server to recover", seconds: 30);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await replica.Health.CheckAsync(new HealthCheckRequest())).Status);
            // The stream that was open when the database went away ended with UNAVAILABLE, its cue to
            // resume from its last sequence: it gets exactly what came after.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await FailsWith(StatusCode.Unavailable, () => stream.ResponseStream.MoveNext(timeout.Token));
            using var resumed = replica.Client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, AfterSequence = 1 });
            Assert.True(await resumed.ResponseStream.MoveNext(timeout.Token));
            Assert.Equal("after", resumed.ResponseStream.Current.Message.Content);
            Assert.Equal(2, resumed.ResponseStream.Current.Message.Sequence);
        }
        finally
        {
            await Cluster("stop", port, folder);
            Directory.Delete(folder, recursive: true);   // 40 MB a run, in /tmp
        }
    }

    /// <summary>Runs scripts/postgres.sh on the cluster in <paramref name="folder"/>; returns its last line (the
    /// connection string on start).</summary>
    private static async Task<string> Cluster(string command, int port, string folder)
    {
        var script = RepositoryFile("scripts/postgres.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, command, port.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["TIMELY_PG_DIR"] = folder },
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"postgres.sh {command} failed: {error}");
        NpgsqlConnection.ClearAllPools();
        return output.Trim().Split('\n')[^1];
    }

    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException(relative);
    }
}
