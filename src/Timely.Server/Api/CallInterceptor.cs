using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Timely.Server.Auth;
using Timely.Server.Observability;

namespace Timely.Server.Api;

/// <summary>Around every call (gRPC, grpc-web, HTTP/JSON, event streams): turns domain errors into their
/// gRPC status (ErrorMapping), and, in one place, its telemetry: the call's duration by method and status (<see cref="TimelyMetrics"/>), its workspace and
/// conversation on its span, and one log line with the method, the status, the duration, the workspace and
/// the trace id: at Debug for calls that succeed (a line per call costs more than a cheap call itself),
/// Information for the ones refused, Error for a bug. Never the key or a message's content. Marks each call
/// it sees as read, so <see cref="UnreadableRequests"/> tells them from requests grpc-dotnet could not read.</summary>
public sealed partial class CallInterceptor(ILogger<CallInterceptor> logger, TimelyMetrics metrics) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        UnreadableRequests.MarkRead(context);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await continuation(request, context);
            Succeeded(context, request, response, started);
            return response;
        }
        catch (Exception e)
        {
            throw Fail(context, request, e, started);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        UnreadableRequests.MarkRead(context);
        var started = Stopwatch.GetTimestamp();
        // Tagged up front: a stream's span is open for as long as the stream.
        TimelyTracing.TagCall(Activity.Current, Caller.WorkspaceOrNull(context), request, null);
        try
        {
            await continuation(request, responseStream, context);
            Succeeded(context, request, null, started);
        }
        catch (Exception e)
        {
            throw Fail(context, request, e, started);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        UnreadableRequests.MarkRead(context);
        var started = Stopwatch.GetTimestamp();
        TimelyTracing.TagCall(Activity.Current, Caller.WorkspaceOrNull(context), null, null);
        try
        {
            var response = await continuation(requestStream, context);
            Succeeded(context, null, response, started);
            return response;
        }
        catch (Exception e) when (e is not RpcException && ErrorMapping.ToRpcException(e) is null && context.CancellationToken.IsCancellationRequested)
        {
            // The client went away mid-stream (a cancelled or broken call): not a bug.
            throw Fail(context, null, new OperationCanceledException("the call was cancelled", e, context.CancellationToken), started);
        }
        catch (Exception e)
        {
            throw Fail(context, null, e, started);
        }
    }

    private void Succeeded(ServerCallContext context, object? request, object? response, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        var workspace = Caller.WorkspaceOrNull(context);
        TimelyTracing.TagCall(Activity.Current, workspace, request, response);
        metrics.CallEnded(context.Method, StatusCode.OK, elapsed);
        LogSucceeded(context.Method, elapsed.TotalMilliseconds, workspace, TraceId());
    }

    private RpcException Fail(ServerCallContext context, object? request, Exception exception, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        var workspace = Caller.WorkspaceOrNull(context);
        TimelyTracing.TagCall(Activity.Current, workspace, request, null);
        var rpc = exception as RpcException ?? ErrorMapping.ToRpcException(exception);
        if (rpc is null && exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            rpc = new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
        }
        if (rpc is null)
        {
            metrics.CallEnded(context.Method, StatusCode.Internal, elapsed);
            LogUnexpected(exception, context.Method, elapsed.TotalMilliseconds, workspace, TraceId());
            return new RpcException(new Status(StatusCode.Internal, "an unexpected error occurred; it has been logged"));
        }
        metrics.CallEnded(context.Method, rpc.StatusCode, elapsed);
        LogRefused(context.Method, rpc.StatusCode, elapsed.TotalMilliseconds, workspace, TraceId());
        if (!ErrorResponse.IsGrpc(context.GetHttpContext().Request))
        {
            // JSON transcoding reads the rich details (grpc-status-details-bin) from the call's trailers only,
            // not from the exception's; gRPC itself merges them, so copying there would send them twice.
            foreach (var trailer in rpc.Trailers)
            {
                context.ResponseTrailers.Add(trailer);
            }
        }
        return rpc;
    }

    // The trace id of the caller's traceparent (or a fresh one); a struct, formatted only when logged.
    private static ActivityTraceId TraceId() => Activity.Current?.TraceId ?? default;

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC {Method} ended OK in {ElapsedMs:0.0} ms (workspace {Workspace}, trace {TraceId})")]
    private partial void LogSucceeded(string method, double elapsedMs, string? workspace, ActivityTraceId traceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC {Method} ended {StatusCode} in {ElapsedMs:0.0} ms (workspace {Workspace}, trace {TraceId})")]
    private partial void LogRefused(string method, StatusCode statusCode, double elapsedMs, string? workspace, ActivityTraceId traceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "gRPC {Method} failed unexpectedly after {ElapsedMs:0.0} ms (workspace {Workspace}, trace {TraceId})")]
    private partial void LogUnexpected(Exception exception, string method, double elapsedMs, string? workspace, ActivityTraceId traceId);
}
