using System.Diagnostics;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Testing;

namespace Timely.Bench;

/// <summary>The Release server as a child process on loopback, over a fresh SQLite file (or the store its
/// settings name), so its memory is its own. Limits are lifted: the benchmarks measure the server, not the
/// rate limiter.</summary>
public sealed class ServerUnderTest : IAsyncDisposable
{
    private readonly Process process;
    private readonly string dataFolder = Directory.CreateTempSubdirectory("timely-bench-").FullName;
    private readonly List<GrpcChannel> channels = [];

    /// <param name="settings">Extra environment settings (`__` for `:`), e.g. the store to use.</param>
    /// <param name="callLog">false: the server logs at Warning and its output is discarded (the feed benchmark).
    /// true: it logs at the level it ships with, every call included, into <see cref="LogFile"/>: what a
    /// deployment pays for its call log, and a record of each call's status for the throughput benchmark.</param>
    private ServerUnderTest(string serverDll, IReadOnlyDictionary<string, string>? settings, bool callLog)
    {
        Port = FreePort();
        LogFile = callLog ? Path.Combine(dataFolder, "server.log") : null;
        // With a log file the output goes straight there (sh execs dotnet, so the process id stays the server's).
        var start = LogFile is null
            ? new ProcessStartInfo("dotnet", serverDll) { RedirectStandardOutput = true, RedirectStandardError = true }
            : new ProcessStartInfo("/bin/sh", ["-c", "exec dotnet \"$0\" >\"$1\" 2>&1", serverDll, LogFile]);
        // The server as the image runs it: its garbage collector's settings (see deploy/Dockerfile).
        foreach (var (key, value) in ContainerImage.GcSettings)
        {
            start.Environment[key] = value;
        }
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{Port}";
        WebPort = FreePort();
        start.Environment["Kestrel__Endpoints__Web__Url"] = $"http://127.0.0.1:{WebPort}";
        start.Environment["Storage__Sqlite__Path"] = DatabasePath;
        start.Environment["Auth__BootstrapAdminKey"] = Key;
        start.Environment["Limits__RequestsPerSecond"] = "1000000";
        start.Environment["Limits__Burst"] = "1000000";
        start.Environment["Limits__MaxStreamsPerKey"] = "1000000";
        if (!callLog)
        {
            start.Environment["Logging__LogLevel__Default"] = "Warning";
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        process = Process.Start(start)!;
        if (LogFile is null)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
    }

    public int Port { get; }

    /// <summary>The web port: /metrics (no key), /healthz.</summary>
    public int WebPort { get; }

    /// <summary>The server's process, ports and, with its call log, its first lines (its start) and its last: to
    /// explain a failed run.</summary>
    public string Describe()
    {
        var state = process.HasExited ? $"exited with {process.ExitCode}" : "running";
        var head = new List<string>();
        var tail = new Queue<string>();
        var lines = 0;
        foreach (var line in LogFile is not null && File.Exists(LogFile) ? File.ReadLines(LogFile) : [])
        {
            if (lines++ < 15)
            {
                head.Add(line);
                continue;
            }
            tail.Enqueue(line);
            if (tail.Count > 15)
            {
                tail.Dequeue();
            }
        }
        string[] skipped = lines > 30 ? ["..."] : [];
        return $"\nserver {process.Id} on gRPC port {Port}, web port {WebPort}, {state}:\n" + string.Join('\n', [.. head, .. skipped, .. tail]);
    }

    /// <summary>The server's SQLite file (when it runs on SQLite).</summary>
    public string DatabasePath => Path.Combine(dataFolder, "timely.db");

    public string Key { get; } = "tly_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    public int ProcessId => process.Id;

    /// <summary>The server's output, when started with its call log; null otherwise.</summary>
    public string? LogFile { get; }

    /// <summary>The Release server of this tree, next to the benchmark's own build output.</summary>
    public static string DefaultServerDll => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory,
        "../../../../../src/Timely.Server/bin/Release/net10.0/timely-server.dll"));

    public static async Task<ServerUnderTest> StartAsync(
        string serverDll, IReadOnlyDictionary<string, string>? settings = null, bool callLog = false)
    {
        var server = new ServerUnderTest(serverDll, settings, callLog);
        var client = server.NewClient();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.ListConversationsAsync(new ListConversationsRequest { PageSize = 1 }, deadline: DateTime.UtcNow.AddSeconds(2));
                return server;
            }
            catch (RpcException) when (attempt < 300 && !server.process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (RpcException) when (server.LogFile is not null)
            {
                var described = server.Describe();
                await server.DisposeAsync();
                throw new InvalidOperationException($"the server did not start:{described}");
            }
        }
    }

    /// <summary>A client on a channel of its own that opens as many HTTP/2 connections as its streams need
    /// (the server allows 100 streams per connection).</summary>
    public ConversationService.ConversationServiceClient NewClient() => new(NewCallInvoker());

    /// <summary>A WebhookService client with the admin key, on a channel of its own.</summary>
    public WebhookService.WebhookServiceClient NewWebhooksClient() => new(NewCallInvoker());

    private CallInvoker NewCallInvoker()
    {
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{Port}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        lock (channels)
        {
            channels.Add(channel);
        }
        return channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + Key);
            return m;
        });
    }

    /// <summary>The server process's resident memory, from /proc.</summary>
    public long ResidentBytes() => StatusBytes("VmRSS:");

    /// <summary>The part of <see cref="ResidentBytes"/> that maps files (the runtime's and the assemblies' images).</summary>
    public long ResidentFileBytes() => StatusBytes("RssFile:");

    private long StatusBytes(string field)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        channels.ForEach(c => c.Dispose());
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        Directory.Delete(dataFolder, recursive: true);
    }

    /// <summary>A loopback port that is free now, from below Linux's ephemeral range: no outgoing connection (to
    /// PostgreSQL, from the load generator) can take it before the server binds it. The tests' helper.</summary>
    public static int FreePort() => Timely.Testing.ServerProcess.FreePort();
}
