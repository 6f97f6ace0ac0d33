using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Timely.Server.Auth;

/// <summary>Writes a gRPC error from middleware (authentication, rate limiting) as a trailers-only
/// response, so every client — gRPC, grpc-web, any language — reads a real status and message
/// instead of guessing from an HTTP status code.</summary>
public static class GrpcErrorResponse
{
    public static Task WriteAsync(HttpContext http, StatusCode code, string message, params IMessage[] details)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = http.Request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.Ordinal)
            ? type
            : "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        if (details.Length > 0)
        {
            var status = new Google.Rpc.Status { Code = (int)code, Message = message };
            status.Details.AddRange(details.Select(Google.Protobuf.WellKnownTypes.Any.Pack));
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
        }
        return response.CompleteAsync();
    }

    public static RetryInfo RetryAfter(TimeSpan delay) => new() { RetryDelay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(delay) };
}
