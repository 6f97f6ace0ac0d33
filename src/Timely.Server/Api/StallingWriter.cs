using Grpc.Core;
using Timely.Server.Domain;

namespace Timely.Server.Api;

/// <summary>A live stream's writer that gives up on a client that stopped reading: a write still waiting after
/// <paramref name="timeout"/> (HTTP/2 flow control, a full socket) ends the stream with the exception of
/// <paramref name="stalled"/> (RESOURCE_EXHAUSTED), so the feed behind it lets go of what it holds.
/// <para>The write given up on stays with the transport, and the call must not end before it does: Kestrel reuses an
/// HTTP/2 stream's objects for the connection's next stream, and a write that completes after its call ended fails
/// that next stream, which then never answers (a client resuming on the same connection waited forever for its
/// headers). So <see cref="DisposeAsync"/>, run as the call ends, waits for that write: for the client to read what
/// was sent, after which the status follows it, for at most <paramref name="resetAfter"/> after a stall; then, or at
/// once when the stream ended for another reason (shutdown, a revoked key, the client leaving), it resets the stream
/// (<paramref name="http"/>'s Abort), which the SDKs resume after as after any dropped stream.</para></summary>
internal sealed class StallingWriter<T>(
    IServerStreamWriter<T> inner, HttpContext http, TimeSpan timeout, TimeSpan resetAfter, Func<SubscriberStalledException> stalled)
    : IServerStreamWriter<T>, IAsyncDisposable
{
    /// <summary>How long a write may take to settle once its stream was reset.</summary>
    private static readonly TimeSpan SettleAfterReset = TimeSpan.FromSeconds(5);

    private Task? unfinished;      // the write this stream stopped waiting for
    private TimeSpan unfinishedGrace;

    public WriteOptions? WriteOptions
    {
        get => inner.WriteOptions;
        set => inner.WriteOptions = value;
    }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    /// <summary>Writes <paramref name="message"/>; <paramref name="ct"/> stops the wait, not the write: cancelling a
    /// gRPC write resets the stream, and the status that says why it ended would be lost.</summary>
    public async Task WriteAsync(T message, CancellationToken ct)
    {
        var writing = inner.WriteAsync(message);
        if (writing.IsCompleted)
        {
            await writing;   // the transport took it at once: no timer
            return;
        }
        try
        {
            await writing.WaitAsync(timeout, ct);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException && !writing.IsCompleted)
        {
            (unfinished, unfinishedGrace) = (writing, e is TimeoutException ? resetAfter : TimeSpan.Zero);
            if (e is TimeoutException)
            {
                throw stalled();
            }
            throw;
        }
    }

    /// <summary>Returns once no write of this stream is in flight (see the class's summary).</summary>
    public async ValueTask DisposeAsync()
    {
        if (unfinished is null || await SettledAsync(unfinished, unfinishedGrace))
        {
            return;
        }
        http.Abort();
        await SettledAsync(unfinished, SettleAfterReset);
    }

    /// <summary>Whether <paramref name="write"/> completed (written or failed) within <paramref name="wait"/>.</summary>
    private static async Task<bool> SettledAsync(Task write, TimeSpan wait)
    {
        try
        {
            await write.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception)
        {
            // the write failed (the client left, or the stream was reset): it is settled all the same
        }
        return true;
    }
}
