using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Timely.Testing;

/// <summary>The server as a real separate process on its own loopback ports, for tests that need
/// several replicas, or kill and restart the server. Shared by the test projects (linked, not
/// referenced). Killed, not asked, when disposed; <see cref="StartAsync"/> again restarts it on the
/// same ports and database.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly string serverDll;
    private readonly Dictionary<string, string> environment;
    private readonly List<string> output = [];
    private Process? process;

    public ServerProcess(string serverDll, IDictionary<string, string> settings)
    {
        this.serverDll = serverDll;
        if (settings.TryGetValue("Auth:BootstrapAdminKey", out var adminKey))
        {
            AdminKey = adminKey;
        }
        GrpcPort = FreePort();
        WebPort = FreePort();
        environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel__Endpoints__Web__Url"] = $"http://127.0.0.1:{WebPort}",
            ["Auth__BootstrapAdminKey"] = AdminKey,
            ["Auth__KeyCacheTtl"] = "00:00:00",
            ["Limits__RequestsPerSecond"] = "1000000",
            ["Limits__Burst"] = "1000000",
            ["Limits__FailedAuthenticationsBurst"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__")] = value;
        }
    }

    public int GrpcPort { get; }

    public int WebPort { get; }

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public Uri WebAddress => new($"http://127.0.0.1:{WebPort}");

    /// <summary>An admin key of the default workspace, registered by the server at start-up: a new
    /// random one, or the Auth:BootstrapAdminKey of the settings.</summary>
    public string AdminKey { get; } = "tly_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    /// <summary>Starts the process and waits (bounded) until it accepts connections: it listens only
    /// once its database is migrated.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet", serverDll)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        if (process is { HasExited: false })
        {
            throw new InvalidOperationException("the server is already running: kill or terminate it first");
        }
        process = Process.Start(start)!;
        Running[process.Id] = process;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                process.WaitForExit();   // the parameterless wait also drains the redirected output
                throw new InvalidOperationException("the server exited:\n" + Output);
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, GrpcPort);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                Kill();   // a server that never listened is not left running
                throw new TimeoutException($"the server did not listen on {GrpcPort} within 60 s:\n" + Output);
            }
        }
    }

    /// <summary>Kills the process at once, as a crash would.</summary>
    public void Kill()
    {
        if (process is null)
        {
            return;
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        Running.TryRemove(process.Id, out _);
        process.Dispose();
        process = null;
    }

    // Every server started and not yet stopped: killed when the test process exits, so that a test that
    // fails before disposing its servers leaves none running on the machine.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Process> Running = Started();

    private static System.Collections.Concurrent.ConcurrentDictionary<int, Process> Started()
    {
        var running = new System.Collections.Concurrent.ConcurrentDictionary<int, Process>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var p in running.Values)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Exited already.
                }
            }
        };
        return running;
    }

    /// <summary>Asks the process to stop, as an orchestrator does (SIGTERM), and waits (bounded) for
    /// its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var running = process ?? throw new InvalidOperationException("the server is not running");
        if (kill(running.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"SIGTERM to {running.Id} failed");
        }
        using var deadline = new CancellationTokenSource(timeout);
        await running.WaitForExitAsync(deadline.Token);
        Running.TryRemove(running.Id, out _);
        var exitCode = running.ExitCode;
        running.Dispose();
        process = null;
        return exitCode;
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>The last 50 lines the process wrote (stdout and stderr).</summary>
    public string Output => Lines(50);

    /// <summary>Every line the process wrote, across restarts.</summary>
    public string AllOutput => Lines(int.MaxValue);

    private string Lines(int last)
    {
        lock (output)
        {
            return string.Join('\n', output.TakeLast(last));
        }
    }

    public void Dispose() => Kill();

    /// <summary>A loopback port that is free now and stays free until a server binds it. It comes from below
    /// Linux's ephemeral range (32768-60999): an outgoing connection (to PostgreSQL, between tests) can take
    /// any port of that range at any moment, even one a listener just gave back.</summary>
    public static int FreePort()
    {
        const int first = 20_000, count = 12_000;
        for (var attempt = 0; attempt < count; attempt++)
        {
            var port = first + (int)((uint)Interlocked.Increment(ref nextPort) % count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try the next one.
            }
        }
        throw new InvalidOperationException("no free loopback port between 20000 and 31999");
    }

    // Each test process starts at its own random place, so two running at once rarely meet.
    private static int nextPort = Random.Shared.Next(12_000);

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
