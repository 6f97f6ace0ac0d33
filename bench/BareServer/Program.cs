using Microsoft.AspNetCore.Server.Kestrel.Core;

// A bare grpc-dotnet server: only grpc.health.v1.Health, plaintext HTTP/2 (h2c) on one HTTP/2-only
// endpoint, logging at Warning. The throughput benchmark measures its Health/Check as the ceiling.
// Usage: dotnet bare-server.dll [URL]   (or BARE_SERVER_URL; default http://127.0.0.1:50061)
var url = args.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal))
    ?? Environment.GetEnvironmentVariable("BARE_SERVER_URL")
    ?? "http://127.0.0.1:50061";

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
builder.WebHost.UseUrls(url);
builder.Services.AddGrpc();
builder.Services.AddGrpcHealthChecks();

var app = builder.Build();
app.MapGrpcHealthChecksService();
app.Run();
