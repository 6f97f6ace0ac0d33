using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using HttpRequest = Microsoft.AspNetCore.Http.HttpRequest;

namespace Timely.Server.Auth;

/// <summary>Writes an error outside a service method (authentication, rate limiting, event streams) in the
/// caller's protocol: to gRPC and grpc-web callers as a trailers-only response, so every client reads a real
/// status and its details instead of guessing from an HTTP status code; to HTTP/JSON callers as the
/// google.rpc.Status JSON that JSON transcoding writes, with the same HTTP status.</summary>
public static class ErrorResponse
{
    /// <summary>The rich error details (AIP-193) a status may carry, for their JSON form.</summary>
    public static TypeRegistry DetailTypes { get; } = TypeRegistry.FromFiles(ErrorDetailsReflection.Descriptor);

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithTypeRegistry(DetailTypes).WithFormatDefaultValues(true));

    /// <summary>gRPC (application/grpc, grpc-web) rather than HTTP/JSON (transcoded routes, event streams).</summary>
    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    public static Task WriteAsync(HttpContext http, StatusCode code, string message, params IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.AddRange(details.Select(Google.Protobuf.WellKnownTypes.Any.Pack));
        return IsGrpc(http.Request) ? WriteGrpcAsync(http, status) : WriteJsonAsync(http, status);
    }

    /// <summary>The status as JSON, with its HTTP status and, when it says when to retry, Retry-After.</summary>
    public static Task WriteJsonAsync(HttpContext http, Google.Rpc.Status status)
    {
        var response = http.Response;
        response.StatusCode = HttpStatus((StatusCode)status.Code);
        response.ContentType = "application/json; charset=utf-8";
        if (status.GetDetail<RetryInfo>()?.RetryDelay is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.ToTimeSpan().TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        return response.WriteAsync(Format(status), http.RequestAborted);
    }

    /// <summary>A message in the JSON form of the HTTP API (proto3 JSON: lowerCamelCase names, enums by
    /// name, 64-bit integers as strings, every field), rich error details included.</summary>
    public static string Format(IMessage message) => Json.Format(message);

    /// <summary>The HTTP status of a gRPC status code: the mapping of google.rpc.Code, which JSON transcoding
    /// follows too.</summary>
    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.Cancelled => StatusCodes.Status499ClientClosedRequest,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static RetryInfo RetryAfter(TimeSpan delay) => new() { RetryDelay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(delay) };

    private static Task WriteGrpcAsync(HttpContext http, Google.Rpc.Status status)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = http.Request.ContentType!;
        response.Headers["grpc-status"] = status.Code.ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(status.Message);
        if (status.Details.Count > 0)
        {
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
        }
        return response.CompleteAsync();
    }
}
