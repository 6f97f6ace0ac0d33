using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Timely.Server.Auth;

namespace Timely.Server.Http;

/// <summary>One Server-Sent Events response: each item of a feed as an event whose `id:` is its position
/// (so a reconnecting client's Last-Event-ID resumes right after it), `: keep-alive` comments while the
/// feed is silent, and a last `end` event carrying the stream's final google.rpc.Status, as gRPC's
/// trailers would.</summary>
internal sealed class EventStream<TResponse>(HttpContext http, Func<TResponse, (string Id, IMessage Data)> frame, TimeSpan keepAlive)
    : IServerStreamWriter<TResponse>
{
    private readonly SemaphoreSlim gate = new(1, 1);   // the feed and the keep-alive write in turn
    private long lastWrite = Stopwatch.GetTimestamp();

    public bool Started { get; private set; }

    public WriteOptions? WriteOptions { get; set; }

    public async Task StartAsync()
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";   // nginx: deliver each event at once
        Started = true;
        await response.Body.FlushAsync(http.RequestAborted);
    }

    public Task WriteAsync(TResponse message) => WriteAsync(message, http.RequestAborted);

    public Task WriteAsync(TResponse message, CancellationToken ct)
    {
        var (id, data) = frame(message);
        return SendAsync($"id: {id}\ndata: {ErrorResponse.Format(data)}\n\n", ct);
    }

    public Task EndAsync(Google.Rpc.Status status) => SendAsync($"event: end\ndata: {ErrorResponse.Format(status)}\n\n", http.RequestAborted);

    /// <summary>Sends a comment whenever nothing was sent for the keep-alive interval, until cancelled.</summary>
    public async Task KeepAliveAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var idle = Stopwatch.GetElapsedTime(Interlocked.Read(ref lastWrite));
                if (idle >= keepAlive)
                {
                    await SendAsync(": keep-alive\n\n", http.RequestAborted);
                    continue;
                }
                await Task.Delay(keepAlive - idle, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the stream ended, or its client left
        }
    }

    private async Task SendAsync(string text, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            await http.Response.WriteAsync(text, ct);
            await http.Response.Body.FlushAsync(ct);
            Interlocked.Exchange(ref lastWrite, Stopwatch.GetTimestamp());
        }
        finally
        {
            gate.Release();
        }
    }
}
