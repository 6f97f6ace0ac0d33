using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Timely.Testing;

namespace Timely.Server.Tests.Infrastructure;

/// <summary>Debian's nginx in front of replicas, configured by deploy/nginx/timely.conf.template rendered as
/// the official nginx image renders it (its variables replaced by the given values), in a throwaway folder.</summary>
public sealed partial class Nginx : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-nginx-").FullName;
    private Process? process;

    public Nginx(IReadOnlyList<(int GrpcPort, int WebPort)> replicas)
    {
        var values = new Dictionary<string, string>
        {
            ["TIMELY_LB_GRPC_LISTEN"] = $"127.0.0.1:{GrpcPort}",
            ["TIMELY_LB_WEB_LISTEN"] = $"127.0.0.1:{WebPort}",
        };
        for (var i = 0; i < replicas.Count; i++)
        {
            values[$"TIMELY_REPLICA_{i + 1}_GRPC"] = $"127.0.0.1:{replicas[i].GrpcPort}";
            values[$"TIMELY_REPLICA_{i + 1}_WEB"] = $"127.0.0.1:{replicas[i].WebPort}";
        }
        var rendered = Variable().Replace(Template, m => values.TryGetValue(m.Groups[1].Value, out var value)
            ? value
            : throw new InvalidOperationException($"the nginx template needs {m.Groups[1].Value}"));
        File.WriteAllText(Path.Combine(folder, "timely.conf"), rendered);
        // Only what a throwaway nginx needs around the template: its files in this folder, in the foreground.
        File.WriteAllText(Path.Combine(folder, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{folder}}/body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;
                include {{folder}}/timely.conf;
            }
            """);
        // nginx's workers run as an unprivileged user when started by root.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        }
    }

    private static readonly string Template = Repository.ReadFile("deploy/nginx/timely.conf.template");

    /// <summary>How long nginx skips a replica after a failed call (the template's longest fail_timeout): a replica
    /// back on its ports gets calls again only after it.</summary>
    public static TimeSpan FailTimeout { get; } =
        FailTimeoutSetting().Matches(Template).Select(m => TimeSpan.FromSeconds(int.Parse(m.Groups[1].Value))).Max();

    public int GrpcPort { get; } = ServerProcess.FreePort();

    public int WebPort { get; } = ServerProcess.FreePort();

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public Uri WebAddress => new($"http://127.0.0.1:{WebPort}");

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("nginx") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", folder, "-e", Path.Combine(folder, "error.log"), "-c", Path.Combine(folder, "nginx.conf") })
        {
            start.ArgumentList.Add(argument);
        }
        process = Process.Start(start)!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("nginx exited:\n" + await process.StandardError.ReadToEndAsync() + ErrorLog);
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
        }
    }

    public string ErrorLog => File.Exists(Path.Combine(folder, "error.log")) ? File.ReadAllText(Path.Combine(folder, "error.log")) : "";

    public void Dispose()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process?.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [GeneratedRegex(@"\$\{([A-Z0-9_]+)\}")]
    private static partial Regex Variable();

    [GeneratedRegex(@"fail_timeout=(\d+)s")]
    private static partial Regex FailTimeoutSetting();
}
