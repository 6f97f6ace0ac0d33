namespace Timely.Bench;

/// <summary>The server's own record of each call's gRPC status: at its shipped log level it writes
/// "gRPC /{method} ended {StatusCode} in {ms} ms" per call (Api/CallInterceptor.cs). HTTP 200 does not
/// mean grpc-status 0, so this is how calls that change nothing (health, reads) are checked.</summary>
public sealed class CallLog(string path)
{
    private long offset;

    public long Size => new FileInfo(path).Length;

    /// <summary>Forgets what has been written so far.</summary>
    public void Skip() => offset = Size;

    /// <summary>The status of each call of <paramref name="method"/> logged since the last read or skip.</summary>
    public Dictionary<string, long> ReadStatuses(string method)
    {
        var marker = $"/{method} ended ";
        var statuses = new Dictionary<string, long>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                var status = line[(at + marker.Length)..].Split(' ')[0];
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            }
        }
        offset = stream.Position;
        return statuses;
    }

    /// <summary>Waits until none of the logs has grown for a moment (the console logger writes from a queue).</summary>
    public static async Task SettleAsync(IReadOnlyList<CallLog> logs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var sizes = logs.Select(l => l.Size).ToArray();
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            var now = logs.Select(l => l.Size).ToArray();
            if (now.SequenceEqual(sizes))
            {
                return;
            }
            sizes = now;
        }
    }
}
