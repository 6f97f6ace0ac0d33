using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Timely.Server.Auth;

namespace Timely.Server.Api;

/// <summary>Around every call (gRPC, grpc-web, HTTP/JSON, event streams): turns domain errors into their gRPC status (ErrorMapping) and logs
/// the method, the status and the duration: at Debug for calls that succeed (a line per call costs
/// more than a cheap call itself), Information for the ones refused, Error for a bug. Marks each call
/// it sees as read, so <see cref="UnreadableRequests"/> tells them from requests grpc-dotnet could not read.</summary>
public sealed partial class CallInterceptor(ILogger<CallInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        UnreadableRequests.MarkRead(context);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await continuation(request, context);
            LogSucceeded(context.Method, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (Exception e)
        {
            throw Fail(context, e, started);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        UnreadableRequests.MarkRead(context);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await continuation(request, responseStream, context);
            LogSucceeded(context.Method, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            throw Fail(context, e, started);
        }
    }

    private RpcException Fail(ServerCallContext context, Exception exception, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var rpc = exception as RpcException ?? ErrorMapping.ToRpcException(exception);
        if (rpc is null && exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            rpc = new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
        }
        if (rpc is null)
        {
            LogUnexpected(exception, context.Method, elapsed);
            return new RpcException(new Status(StatusCode.Internal, "an unexpected error occurred; it has been logged"));
        }
        LogRefused(context.Method, rpc.StatusCode, elapsed);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC {Method} ended OK in {ElapsedMs:0.0} ms")]
    private partial void LogSucceeded(string method, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC {Method} ended {StatusCode} in {ElapsedMs:0.0} ms")]
    private partial void LogRefused(string method, StatusCode statusCode, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "gRPC {Method} failed unexpectedly after {ElapsedMs:0.0} ms")]
    private partial void LogUnexpected(Exception exception, string method, double elapsedMs);
}
