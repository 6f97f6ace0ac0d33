using System.Reflection;

namespace Timely.Server.Hosting;

/// <summary>The release this server is (VERSION at the repository root, through MSBuild), the one the
/// SDK packages carry too. Every HTTP response names it in <see cref="Header"/>: gRPC calls,
/// reflection, health, pages.</summary>
public static class ServerVersion
{
    public const string Header = "timely-version";

    /// <summary>"0.2.0": the informational version without the build's source revision ("+sha").</summary>
    public static string Current { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
            .InformationalVersion.Split('+')[0];

    public static IApplicationBuilder UseServerVersionHeader(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            http.Response.Headers[Header] = Current;
            return next(http);
        });
}
