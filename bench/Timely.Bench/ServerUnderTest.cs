using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Timely.Conversations.V1;

namespace Timely.Bench;

/// <summary>The Release server as a child process on loopback, over a fresh SQLite file, so its memory
/// is its own. Limits are lifted: the benchmark measures the feeds, not the rate limiter.</summary>
public sealed class ServerUnderTest : IAsyncDisposable
{
    private readonly Process process;
    private readonly string dataFolder = Directory.CreateTempSubdirectory("timely-bench-").FullName;
    private readonly List<GrpcChannel> channels = [];

    private ServerUnderTest(string serverDll)
    {
        Port = FreePort();
        var start = new ProcessStartInfo("dotnet", serverDll) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{Port}";
        start.Environment["Kestrel__Endpoints__Web__Url"] = $"http://127.0.0.1:{FreePort()}";
        start.Environment["Storage__Sqlite__Path"] = Path.Combine(dataFolder, "timely.db");
        start.Environment["Auth__BootstrapAdminKey"] = Key;
        start.Environment["Limits__RequestsPerSecond"] = "1000000";
        start.Environment["Limits__Burst"] = "1000000";
        start.Environment["Limits__MaxStreamsPerKey"] = "1000000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Key { get; } = "tly_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    public int ProcessId => process.Id;

    public static async Task<ServerUnderTest> StartAsync(string serverDll)
    {
        var server = new ServerUnderTest(serverDll);
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
        }
    }

    /// <summary>A client on a channel of its own that opens as many HTTP/2 connections as its streams need
    /// (the server allows 100 streams per connection).</summary>
    public ConversationService.ConversationServiceClient NewClient()
    {
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{Port}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        lock (channels)
        {
            channels.Add(channel);
        }
        return new(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + Key);
            return m;
        }));
    }

    /// <summary>The server process's resident memory, from /proc.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
