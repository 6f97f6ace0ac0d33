using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Server.Auth;

namespace Timely.Server.Tests.Infrastructure;

/// <summary>The server as a real separate process (a replica), started from the build output next to
/// the tests, on its own loopback ports. Killed, not asked, when disposed.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Dictionary<string, string> environment;
    private readonly List<string> output = [];
    private Process? process;
    private GrpcChannel? channel;

    public ServerProcess(string postgresConnectionString, IDictionary<string, string>? settings = null)
    {
        GrpcPort = TimelyServerPorts.Free();
        environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel__Endpoints__Web__Url"] = $"http://127.0.0.1:{TimelyServerPorts.Free()}",
            ["Storage__Provider"] = "postgres",
            ["ConnectionStrings__Timely"] = postgresConnectionString,
            ["Auth__BootstrapAdminKey"] = AdminKey,
            ["Auth__KeyCacheTtl"] = "00:00:00",
            ["Limits__RequestsPerSecond"] = "1000000",
            ["Limits__Burst"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__")] = value;
        }
    }

    public int GrpcPort { get; }

    public string AdminKey { get; } = ApiKeySecrets.NewSecret();

    public ConversationService.ConversationServiceClient Client => new(Channel.CreateCallInvoker().Intercept(m =>
    {
        m.Add("authorization", "Bearer " + AdminKey);
        return m;
    }));

    public Health.HealthClient Health => new(Channel);

    private GrpcChannel Channel => channel ??= GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
    });

    /// <summary>Starts the process and waits until it serves (bounded).</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "timely-server.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("the server exited:\n" + Output);
            }
            try
            {
                await Client.ListConversationsAsync(new ListConversationsRequest { PageSize = 1 }, deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return string.Join('\n', output.TakeLast(50));
            }
        }
    }

    public void Dispose()
    {
        channel?.Dispose();
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process?.Dispose();
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Add(line);
            }
        }
    }
}
