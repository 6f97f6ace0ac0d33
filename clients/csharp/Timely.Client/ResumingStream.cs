using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Timely.Client;

/// <summary>Server streams that resume: when one reconnects, how long it waits first, and where it picks up.</summary>
internal static class ResumingStream
{
    /// <summary>The items of the server stream that <paramref name="open"/> starts with (a copy of) <paramref name="request"/>,
    /// across reconnects. <paramref name="advance"/> gives the item of each response (null to skip a repeat) and moves
    /// the request past it, so that after a dropped connection or a server restart the stream is opened again (with
    /// backoff) from the last item delivered, and at once after the server ended it as stalled (the caller read
    /// nothing for a while). Completes when a call ends OK. <paramref name="started"/>, when given,
    /// reads each call's response headers into the request before its first item (a position the server names there).</summary>
    public static async IAsyncEnumerable<TItem> Read<TRequest, TResponse, TItem>(
        Func<TRequest, CallOptions, AsyncServerStreamingCall<TResponse>> open,
        TRequest request,
        Func<TRequest, TResponse, TItem?> advance,
        TimeSpan maxDelay,
        [EnumeratorCancellation] CancellationToken ct,
        Action<TRequest, Metadata>? started = null)
        where TRequest : IDeepCloneable<TRequest>
        where TItem : class
    {
        var resumeFrom = request.Clone();   // each enumeration starts from the caller's request
        var attempt = 0;
        while (true)
        {
            using var call = open(resumeFrom, new CallOptions(cancellationToken: ct));
            if (started is not null && !await TryStart(call, resumeFrom, started, ct))
            {
                await Task.Delay(Delay(attempt++, maxDelay), ct);
                continue;
            }
            Next next;
            while ((next = await TryMoveNext(call.ResponseStream, ct)) == Next.Item)
            {
                attempt = 0;
                if (advance(resumeFrom, call.ResponseStream.Current) is { } item)
                {
                    yield return item;
                }
            }
            switch (next)
            {
                case Next.End:
                    yield break;   // ended OK (StreamMessages: the conversation is closed)
                case Next.Stalled:
                    attempt = 0;   // not an outage: the server is up and the caller reads again, so resume at once
                    break;
                default:
                    await Task.Delay(Delay(attempt++, maxDelay), ct);   // dropped: reconnect
                    break;
            }
        }
    }

    /// <summary>Reads the response headers into the request; false when the connection dropped first.</summary>
    private static async Task<bool> TryStart<TRequest, TResponse>(
        AsyncServerStreamingCall<TResponse> call, TRequest request, Action<TRequest, Metadata> started, CancellationToken ct)
    {
        try
        {
            started(request, await call.ResponseHeadersAsync);
            return true;
        }
        catch (RpcException e) when (IsTransient(e) && !ct.IsCancellationRequested)
        {
            return false;
        }
        catch (RpcException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
    }

    /// <summary>What a read of a stream gave.</summary>
    private enum Next
    {
        /// <summary>With an item.</summary>
        Item,

        /// <summary>At the end of the stream (OK).</summary>
        End,

        /// <summary>The connection dropped or the server went away.</summary>
        Dropped,

        /// <summary>The server ended the stream because the caller read nothing for a while.</summary>
        Stalled,
    }

    private static async Task<Next> TryMoveNext<T>(IAsyncStreamReader<T> stream, CancellationToken ct)
    {
        try
        {
            return await stream.MoveNext(ct) ? Next.Item : Next.End;
        }
        catch (RpcException e) when (IsTransient(e) && !ct.IsCancellationRequested)
        {
            return Next.Dropped;
        }
        catch (RpcException e) when (IsStalled(e) && !ct.IsCancellationRequested)
        {
            return Next.Stalled;
        }
        catch (RpcException) when (ct.IsCancellationRequested)
        {
            // What an IAsyncEnumerable consumer expects, whatever status the call ended with: a stream reset by a
            // server that went away as the caller cancelled came as UNAVAILABLE ("the request was aborted").
            throw new OperationCanceledException(ct);
        }
    }

    /// <summary>The connection dropped or the server went away (restart, shutdown, a replica lost). Anything
    /// else but a stall (OUT_OF_RANGE, PERMISSION_DENIED, NOT_FOUND, ...) is the caller's to handle and is not retried.</summary>
    private static bool IsTransient(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        || (e.StatusCode is StatusCode.Internal or StatusCode.Unknown && e.Status.DebugException is IOException or HttpRequestException);

    /// <summary>The server ended the stream because one write waited Feeds:StalledSubscriberTimeout (30 s) for the caller
    /// to read: RESOURCE_EXHAUSTED with the ErrorInfo reason SUBSCRIBER_STALLED, after everything already sent, so nothing
    /// is lost. Any other RESOURCE_EXHAUSTED (a rate limit, a quota of streams) is the caller's.</summary>
    private static bool IsStalled(RpcException e) =>
        e.StatusCode == StatusCode.ResourceExhausted && e.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason == "SUBSCRIBER_STALLED";

    /// <summary>Exponential backoff from 100 ms up to <paramref name="max"/>, with jitter so clients of a
    /// restarted server do not all come back at once.</summary>
    private static TimeSpan Delay(int attempt, TimeSpan max)
    {
        var ceiling = Math.Min(max.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 10)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }
}
