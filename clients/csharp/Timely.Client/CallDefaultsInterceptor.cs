using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Timely.Client;

/// <summary>On every call: the API key header; on unary calls, the default deadline and wait-for-ready
/// (a call made while the service is unreachable, during a restart, waits for it up to its deadline
/// instead of failing at once: gRPC's retry policy alone, with its randomised backoff, bridged as little
/// as 0.6 s); on the writes
/// that take one (a request message with a <c>request_id</c> field), a fresh <c>request_id</c> when the
/// caller left it empty. The id is set on the request before it is sent, so gRPC's retries (and the
/// caller's own, with the same request object) repeat it and the service writes once.</summary>
internal sealed class CallDefaultsInterceptor(TimelyClientOptions options) : Interceptor
{
    private static readonly ConcurrentDictionary<Type, FieldDescriptor?> RequestIdFields = new();

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(Unary(request), Unary(context));

    // The blocking form of a unary call (client.GetConversation(...)) gets the same defaults.
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(Unary(request), Unary(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, WithApiKey(context.Options)));

    // A reply draft (client streaming) lasts as long as the model writes: the key, no default deadline.
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, WithApiKey(context.Options)));

    private static TRequest Unary<TRequest>(TRequest request)
    {
        FillRequestId(request!);
        return request;
    }

    private ClientInterceptorContext<TRequest, TResponse> Unary<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class
    {
        var callOptions = WithApiKey(context.Options).WithWaitForReady();
        if (callOptions.Deadline is null)
        {
            callOptions = callOptions.WithDeadline(DateTime.UtcNow + options.DefaultDeadline);
        }
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, callOptions);
    }

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
        if (request is IMessage message && RequestIdField(message) is { } field && (string)field.Accessor.GetValue(message) == "")
        {
            field.Accessor.SetValue(message, RequestIds.New());
        }
    }

    /// <summary>The <c>request_id</c> field of a request type (a string), or null when it has none; read once per
    /// type from the message descriptor, so a write added to the contract gets ids without a change here.</summary>
    private static FieldDescriptor? RequestIdField(IMessage message) =>
        RequestIdFields.GetOrAdd(
            message.GetType(),
            static (_, descriptor) => descriptor.FindFieldByName("request_id") is { FieldType: FieldType.String, IsRepeated: false } field ? field : null,
            message.Descriptor);
}
