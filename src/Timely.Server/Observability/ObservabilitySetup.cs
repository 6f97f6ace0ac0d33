using Microsoft.AspNetCore.Http;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Timely.Server.Observability;

public static class ObservabilitySetup
{
    /// <summary>OpenTelemetry: metrics (ASP.NET Core, Kestrel, runtime and the service's own) for /metrics and,
    /// when OTEL_EXPORTER_OTLP_ENDPOINT is set, OTLP; traces when Tracing:Enabled (by default when that
    /// endpoint is set), exported over OTLP. The exporters read the standard OTEL_* variables.</summary>
    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.Section))
            .Validate(o => o.GaugeInterval > TimeSpan.Zero, "Metrics:GaugeInterval must be positive")
            .ValidateOnStart();
        services.AddSingleton<TimelyMetrics>();
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("timely-server", serviceVersion: Hosting.ServerVersion.Current));
        if (configuration.GetValue($"{MetricsOptions.Section}:{nameof(MetricsOptions.Enabled)}", true))
        {
            telemetry.WithMetrics(metrics =>
            {
                metrics.AddMeter(TimelyMetrics.MeterName, "System.Runtime").AddMeter(AspNetCoreMeters)
                    .AddView("kestrel.queued_requests", MetricStreamConfiguration.Drop)
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        }
        if (configuration.GetValue("Tracing:Enabled", otlp))
        {
            telemetry.WithTracing(tracing =>
            {
                Instrument(tracing);
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        }
        return services;
    }

    /// <summary>ASP.NET Core's meters that measure what the service's own do not: requests and their duration
    /// (Hosting), connections (Kestrel), unhandled exceptions (Diagnostics). Not those that record on every call
    /// what nobody graphs (routing's match attempts, authentication's and authorization's attempts, the rate
    /// limiter's leases, which <c>timely.rate_limit.rejections</c> counts the refusals of, the memory pool's
    /// rentals, Kestrel's queued requests): they were 5 % of the CPU of a GetConversation (perf, 2026-12-03).</summary>
    private static readonly string[] AspNetCoreMeters =
        ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics"];

    /// <summary>What the service's traces are made of: each call (ASP.NET Core, parented by the caller's
    /// traceparent), its store transactions and feed fan-out, and PostgreSQL's commands (Npgsql).</summary>
    public static TracerProviderBuilder Instrument(TracerProviderBuilder tracing) =>
        tracing.AddSource(TimelyTracing.SourceName)
            .AddAspNetCoreInstrumentation(o => o.Filter = http => !MetricsEndpoint.IsScrape(http.Request))
            .AddNpgsql();

    /// <summary>Prometheus text at /metrics, on the web port (Kestrel:Endpoints:Web), before anything else of the
    /// pipeline (no API key, no rate limit), behind Metrics:Key when set.</summary>
    public static WebApplication UseMetricsEndpoint(this WebApplication app)
    {
        if (!app.Configuration.GetValue($"{MetricsOptions.Section}:{nameof(MetricsOptions.Enabled)}", true))
        {
            return app;
        }
        var webPort = app.Configuration["Kestrel:Endpoints:Web:Url"] is { Length: > 0 } url ? BindingAddress.Parse(url).Port : (int?)null;
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: http => MetricsEndpoint.IsScrape(http.Request) && (webPort is null || http.Connection.LocalPort == webPort),
            path: null,
            configureBranchedPipeline: scrape => scrape.Use(MetricsEndpoint.RequireKey),
            optionsName: null);
        return app;
    }
}
