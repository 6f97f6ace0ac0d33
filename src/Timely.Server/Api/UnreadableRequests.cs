using Grpc.Core;

namespace Timely.Server.Api;

/// <summary>grpc-dotnet answers a request message it cannot read (cut short, not protobuf, a string
/// that is not UTF-8, compressed without grpc-encoding, followed by more data) with INTERNAL or
/// UNKNOWN, as if the server had failed. It is the client's mistake: this answers INVALID_ARGUMENT
/// instead. Such a call never reaches <see cref="CallInterceptor"/>, which marks every call it sees,
/// so a failure of the service itself stays INTERNAL.</summary>
public static class UnreadableRequests
{
    private static readonly object Read = new();

    /// <summary>Marks the call's request as read: its status is the service's own.</summary>
    public static void MarkRead(ServerCallContext context) => context.GetHttpContext().Items[Read] = true;

    public static IApplicationBuilder UseUnreadableRequestsAsInvalidArgument(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        await next(http);
        // Nothing is written before the request is read: the answer is trailers-only, its status in
        // the headers, not sent yet (on both ports).
        var headers = http.Response.Headers;
        if (!http.Items.ContainsKey(Read) && !http.Response.HasStarted && headers["grpc-status"] is ["2" or "13"])
        {
            headers["grpc-status"] = "3";
            headers["grpc-message"] = "the request is not a well-formed message of this method: cut short, not protobuf, "
                + "text that is not UTF-8, compressed without grpc-encoding, or more than one message";
        }
    });
}
