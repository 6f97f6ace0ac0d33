using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Timely.Server.Observability;

/// <summary>The scrape endpoint's own guard: with Metrics:Key set, a scrape without `authorization: Bearer
/// &lt;that key&gt;` is 401 (compared in constant time); without it, /metrics is open.</summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static bool IsScrape(HttpRequest request) => request.Path == Path && HttpMethods.IsGet(request.Method);

    public static Task RequireKey(HttpContext http, RequestDelegate next)
    {
        var key = http.RequestServices.GetRequiredService<IOptions<MetricsOptions>>().Value.Key;
        if (string.IsNullOrEmpty(key) || Matches(http.Request.Headers.Authorization.ToString(), key))
        {
            return next(http);
        }
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    private static bool Matches(string authorization, string key) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim()), Encoding.UTF8.GetBytes(key));
}
