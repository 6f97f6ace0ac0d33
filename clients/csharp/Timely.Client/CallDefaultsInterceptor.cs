using Grpc.Core;
using Grpc.Core.Interceptors;
using Timely.Conversations.V1;

namespace Timely.Client;

/// <summary>On every call: the API key header; on unary calls, the default deadline; on the writes
/// that take one, a fresh <c>request_id</c> when the caller left it empty. The id is set on the
/// request before it is sent, so gRPC's retries (and the caller's own, with the same request object)
/// repeat it and the service writes once.</summary>
internal sealed class CallDefaultsInterceptor(TimelyClientOptions options) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        FillRequestId(request);
        var callOptions = WithApiKey(context.Options);
        if (callOptions.Deadline is null)
        {
            callOptions = callOptions.WithDeadline(DateTime.UtcNow + options.DefaultDeadline);
        }
        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, callOptions));
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, WithApiKey(context.Options)));

    private CallOptions WithApiKey(CallOptions callOptions)
    {
        var headers = callOptions.Headers ?? [];
        if (headers.Get("authorization") is null && options.ApiKey.Length > 0)
        {
            headers.Add("authorization", "Bearer " + options.ApiKey);
        }
        return callOptions.WithHeaders(headers);
    }

    private static void FillRequestId(object request)
    {
        switch (request)
        {
            case CreateConversationRequest { RequestId: "" } create:
                create.RequestId = Guid.NewGuid().ToString();
                break;
            case SendMessageRequest { RequestId: "" } send:
                send.RequestId = Guid.NewGuid().ToString();
                break;
            case IngestCustomerMessageRequest { RequestId: "" } ingest:
                ingest.RequestId = Guid.NewGuid().ToString();
                break;
        }
    }
}
