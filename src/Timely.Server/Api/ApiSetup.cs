using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Timely.Server.Auth;
using Timely.Server.Hosting;
using Timely.Server.Storage;

namespace Timely.Server.Api;

public static class ApiSetup
{
    public const string CorsPolicy = "grpc-web";

    /// <summary>The health service name that answers SERVING while the process answers at all.</summary>
    public const string LivenessService = "liveness";

    /// <summary>gRPC with its error mapping and call logs, its JSON transcoding (the google.api.http routes of the
    /// contract), grpc-web with CORS, reflection and health.</summary>
    public static IServiceCollection AddConversationApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGrpc(o =>
        {
            o.Interceptors.Add<CallInterceptor>();
            o.MaxReceiveMessageSize = configuration.GetValue("Grpc:MaxRequestBytes", 1024 * 1024);
        }).AddJsonTranscoding(o =>
        {
            o.TypeRegistry = ErrorResponse.DetailTypes;
            o.JsonSettings.WriteInt64sAsStrings = true;   // proto3 JSON, as the event streams write it
        });
        services.AddSingleton(sp => new TokenCodec(sp.GetRequiredService<SecretStore>()));
        services.AddHostedService(sp => sp.GetRequiredService<TokenCodec>());
        // Behind a proxy (deploy/nginx) the client's address, which budgets failed authentications, comes
        // from X-Forwarded-For, from proxies trusted here only: loopback, plus the configured ones.
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            foreach (var proxy in configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [])
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [])
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        services.AddGrpcReflection();
        // "" (every check: the store, not stopping) is readiness; "liveness" only says the process answers,
        // so an orchestrator restarts a process that hangs, not every replica while the database is down.
        services.AddGrpcHealthChecks(o => o.Services.Map(LivenessService, check => check.Name == LivenessService));
        services.AddHealthChecks().AddCheck(LivenessService, () => HealthCheckResult.Healthy());
        services.AddCors(o => o.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins(configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [])
            .AllowAnyMethod()
            .AllowAnyHeader()
            .WithExposedHeaders(ServerVersion.Header, "Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Grpc-Encoding", "Grpc-Accept-Encoding")));
        return services;
    }

    public static WebApplication MapConversationApi(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseServerVersionHeader();
        // Pages are GETs on the web port; gRPC calls (POSTs) skip the static file middleware.
        app.UseWhen(http => HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method), pages =>
        {
            pages.UseDefaultFiles();
            pages.UseStaticFiles();
        });
        app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseUnreadableRequestsAsInvalidArgument();
        app.MapGrpcService<ConversationApi>().RequireCors(CorsPolicy);
        // Operational endpoints stay open, as load balancers and grpcurl expect.
        app.MapGrpcHealthChecksService().RequireCors(CorsPolicy).DisableRateLimiting();
        app.MapGrpcReflectionService().DisableRateLimiting();
        return app;
    }
}
