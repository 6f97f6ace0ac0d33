using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Timely.Testing;

/// <summary>The builder of a small web app a test runs beside the server (a webhook or OTLP receiver).
/// It reads no configuration: the test binaries' folder holds the server's appsettings.json, whose
/// Kestrel endpoints (localhost:50051 and 50052) it would bind too, failing when anything else
/// listens there.</summary>
public static class LoopbackApp
{
    public static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        return builder;
    }
}
