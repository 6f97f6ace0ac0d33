using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Timely.Bench;

/// <summary>One h2load process: unary gRPC calls of one method over <see cref="Connections"/> connections with
/// <see cref="Streams"/> concurrent streams each, with one request body (h2load sends the same body on every
/// request), or with each of <see cref="BodyFiles"/> in turn (bench/h2load-rotate, bodies of one length).
/// <see cref="Tags"/> say what the bodies write to (conversation ids), if anything. <see cref="RequestIdPlaceholder"/>:
/// a request id every body carries, replaced in each request by a new time-ordered one (bench/h2load-rotate).</summary>
public sealed record H2LoadJob(int Port, string Method, IReadOnlyList<string> BodyFiles, int Connections, int Streams, string? ApiKey,
    IReadOnlyList<string>? Tags = null, string? RequestIdPlaceholder = null)
{
    public H2LoadJob(int port, string method, string bodyFile, int connections, int streams, string? apiKey, string? tag = null)
        : this(port, method, [bodyFile], connections, streams, apiKey, tag is null ? null : [tag])
    {
    }
}

/// <summary>What h2load printed: its "finished in" line, its request counts, its status codes, and the bytes of
/// the responses' DATA frames (the length-prefixed response messages; a gRPC error sends none).</summary>
public sealed record H2LoadResult(H2LoadJob Job, double Seconds, double RequestsPerSecond, long Total, long Done, long Succeeded, long Status2xx, long DataBytes)
{
    /// <summary>Requests that did not come back as HTTP 2xx (failed, errored, timed out or not done).</summary>
    public long HttpFailures => Total - Status2xx;
}

/// <summary>Runs h2load (Debian's nghttp2-client), several processes at once when the calls must carry
/// different bodies, and parses what it prints.</summary>
public static partial class H2Load
{
    /// <summary>A gRPC request frame: 0 (not compressed), the message's length as a big-endian uint32, the message.</summary>
    public static void WriteFrame(string path, ReadOnlySpan<byte> message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        File.WriteAllBytes(path, frame);
    }

    /// <summary>The library that makes h2load send several bodies in turn (bench/h2load-rotate/rotate.c, built by
    /// scripts/bench.sh), from TIMELY_BENCH_H2LOAD_ROTATE.</summary>
    private static string Rotate => Environment.GetEnvironmentVariable("TIMELY_BENCH_H2LOAD_ROTATE") is { Length: > 0 } path && File.Exists(path)
        ? path
        : throw new InvalidOperationException("TIMELY_BENCH_H2LOAD_ROTATE must name bench/h2load-rotate's library: run scripts/bench.sh");

    /// <summary>Runs every job at once, each for <paramref name="seconds"/> (a timed run: a warm-up; calls in
    /// flight at the end are dropped) or for its share of <paramref name="requests"/> (every call completes).
    /// One shell starts them all.</summary>
    public static async Task<IReadOnlyList<H2LoadResult>> RunAsync(IReadOnlyList<H2LoadJob> jobs, double? seconds = null, long requests = 0)
    {
        var folder = Directory.CreateTempSubdirectory("timely-h2load-").FullName;
        try
        {
            var script = new StringBuilder();
            for (var i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];
                var environment = "";
                if (job.BodyFiles.Count > 1 || job.RequestIdPlaceholder is not null)
                {
                    var bodies = Path.Combine(folder, $"bodies-{i}.bin");
                    File.WriteAllBytes(bodies, job.BodyFiles.SelectMany(File.ReadAllBytes).ToArray());
                    environment = $"LD_PRELOAD={Quote(Rotate)} TIMELY_H2LOAD_BODIES={Quote(bodies)} ";
                    if (job.RequestIdPlaceholder is not null)
                    {
                        environment += $"TIMELY_H2LOAD_REQUEST_ID={Quote(job.RequestIdPlaceholder)} ";
                    }
                }
                var perJob = Math.Max(job.Connections * job.Streams * 2L, (requests + jobs.Count - 1) / jobs.Count);
                var args = new List<string>(seconds is { } s ? ["-D", s.ToString(CultureInfo.InvariantCulture)] : ["-n", $"{perJob}"]);
                args.AddRange(["-c", $"{job.Connections}", "-m", $"{job.Streams}", "-d", job.BodyFiles[0],
                    "-H", "content-type: application/grpc", "-H", "te: trailers"]);
                if (job.ApiKey is not null)
                {
                    args.AddRange(["-H", "authorization: Bearer " + job.ApiKey]);
                }
                args.Add($"http://127.0.0.1:{job.Port}/{job.Method}");
                script.AppendLine($"{environment}h2load {string.Join(' ', args.Select(Quote))} >{Quote(Output(folder, i))} 2>&1 &");
            }
            script.AppendLine("wait");
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true };
            using var shell = Process.Start(start)!;
            await shell.StandardInput.WriteAsync(script.ToString());
            shell.StandardInput.Close();
            await shell.WaitForExitAsync();
            return jobs.Select((job, i) =>
            {
                var output = File.ReadAllText(Output(folder, i));
                return Parse(job, output) ?? throw new InvalidOperationException($"h2load printed no summary:\n{output}");
            }).ToList();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Output(string folder, int job) => Path.Combine(folder, $"h2load-{job}.txt");

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''") + "'";

    private static H2LoadResult? Parse(H2LoadJob job, string output)
    {
        var finished = Finished().Match(output);
        var requests = Requests().Match(output);
        var codes = StatusCodes().Match(output);
        var traffic = Traffic().Match(output);
        if (!finished.Success || !requests.Success || !codes.Success || !traffic.Success)
        {
            return null;
        }
        var seconds = double.Parse(finished.Groups[1].Value, CultureInfo.InvariantCulture) * finished.Groups[2].Value switch
        {
            "us" => 1e-6,
            "ms" => 1e-3,
            _ => 1,
        };
        long Count(Match m, int group) => long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        return new H2LoadResult(job, seconds, double.Parse(finished.Groups[3].Value, CultureInfo.InvariantCulture),
            Total: Count(requests, 1), Done: Count(requests, 3), Succeeded: Count(requests, 4), Status2xx: Count(codes, 1), DataBytes: Count(traffic, 3));
    }

    [GeneratedRegex(@"finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s")]
    private static partial Regex Finished();

    [GeneratedRegex(@"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout")]
    private static partial Regex Requests();

    [GeneratedRegex(@"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")]
    private static partial Regex StatusCodes();

    [GeneratedRegex(@"traffic: \S+ \((\d+)\) total, \S+ \((\d+)\) headers \([^)]*\), \S+ \((\d+)\) data")]
    private static partial Regex Traffic();
}
