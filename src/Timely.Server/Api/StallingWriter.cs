using Grpc.Core;
using Timely.Server.Domain;

namespace Timely.Server.Api;

/// <summary>A live stream's writer that gives up on a client that stopped reading: a write still waiting after
/// <paramref name="timeout"/> (HTTP/2 flow control, a full socket) ends the stream with the exception of
/// <paramref name="stalled"/> (RESOURCE_EXHAUSTED), so the feed behind it lets go of what it holds. The write given
/// up on (or stopped waiting for, on shutdown or revocation) stays with the transport: it completes if the client
/// reads again, and the status follows what was already sent; it fails when the client leaves.</summary>
internal sealed class StallingWriter<T>(IServerStreamWriter<T> inner, TimeSpan timeout, Func<SubscriberStalledException> stalled)
    : IServerStreamWriter<T>
{
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
            _ = writing.ContinueWith(static w => w.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            if (e is TimeoutException)
            {
                throw stalled();
            }
            throw;
        }
    }
}
