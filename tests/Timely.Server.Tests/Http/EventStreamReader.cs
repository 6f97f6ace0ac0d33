using System.Text;

namespace Timely.Server.Tests.Http;

/// <summary>One Server-Sent Event (or, with <see cref="Comment"/> set, a comment line).</summary>
public sealed record ServerSentEvent(string? Id, string Event, string Data, string? Comment = null);

/// <summary>Reads a text/event-stream response as the SSE specification parses it: fields up to a blank line.</summary>
public sealed class EventStreamReader(Stream body) : IDisposable
{
    private readonly StreamReader reader = new(body, Encoding.UTF8);

    /// <summary>The next event or comment; null at the end of the stream.</summary>
    public async Task<ServerSentEvent?> ReadAsync(CancellationToken ct)
    {
        string? id = null, type = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (id is null && type is null && data.Length == 0) continue;
                return new ServerSentEvent(id, type ?? "message", data.ToString());
            }
            if (line.StartsWith(':'))
            {
                return new ServerSentEvent(null, "", "", line[1..].Trim());
            }
            var colon = line.IndexOf(':');
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
            }
        }
        return null;
    }

    public void Dispose() => reader.Dispose();
}
