using Grpc.Core;

namespace Timely.Server.Http;

/// <summary>Runs a server-streaming RPC of the service for an event stream request: the RPC sees the
/// request's HttpContext (its key, its cancellation) as it would over gRPC, and its "response headers"
/// start the event stream, the moment the feed is subscribed.</summary>
internal sealed class EventStreamCallContext(HttpContext http, string method, Func<Task> start) : ServerCallContext
{
    // The key grpc-dotnet's GetHttpContext() reads from a context it did not create.
    private const string HttpContextKey = "__HttpContext";
    private readonly Dictionary<object, object> userState = new() { [HttpContextKey] = http };

    protected override string MethodCore => method;
    protected override string HostCore => http.Request.Host.Value ?? "";
    protected override string PeerCore => $"{http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}";
    protected override DateTime DeadlineCore => DateTime.MaxValue;
    protected override Metadata RequestHeadersCore { get; } = [];
    protected override CancellationToken CancellationTokenCore => http.RequestAborted;
    protected override Metadata ResponseTrailersCore { get; } = [];
    protected override Status StatusCore { get; set; }
    protected override WriteOptions? WriteOptionsCore { get; set; }
    protected override AuthContext AuthContextCore { get; } = new(null, []);
    protected override IDictionary<object, object> UserStateCore => userState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("event streams do not propagate calls");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => start();
}
