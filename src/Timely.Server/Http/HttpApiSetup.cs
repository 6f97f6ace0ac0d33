using Microsoft.OpenApi.Models;
using Scalar.AspNetCore;
using Timely.Server.Hosting;

namespace Timely.Server.Http;

public static class HttpApiSetup
{
    /// <summary>The HTTP/JSON face of the service beyond its transcoded routes (ApiSetup): the OpenAPI document
    /// of those routes, and the live feeds as Server-Sent Events.</summary>
    public static IServiceCollection AddHttpApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventStreamOptions>()
            .Bind(configuration.GetSection(EventStreamOptions.Section))
            .Validate(o => o.KeepAliveInterval > TimeSpan.Zero, "EventStreams:KeepAliveInterval must be positive")
            .ValidateOnStart();
        services.AddGrpcSwagger();
        services.AddEndpointsApiExplorer();   // the event streams, which are not gRPC methods
        services.AddSwaggerGen(o =>
        {
            o.CustomOperationIds(api => api.ActionDescriptor.EndpointMetadata.OfType<Grpc.AspNetCore.Server.GrpcMethodMetadata>().FirstOrDefault()?.Method.Name
                ?? api.ActionDescriptor.EndpointMetadata.OfType<EndpointNameMetadata>().FirstOrDefault()?.EndpointName);
            o.SwaggerDoc(OpenApiDocumentName, new OpenApiInfo
            {
                Title = "Timely conversations",
                Version = ServerVersion.Current,
                Description = "ConversationService over HTTP/JSON, transcoded from the google.api.http routes of its gRPC contract. "
                    + "Send the API key as `authorization: Bearer <key>` or `x-api-key: <key>`. Errors are google.rpc.Status JSON.",
            });
            // The proto comments, which Grpc.Tools writes as the contracts' XML docs.
            var contracts = Path.Combine(AppContext.BaseDirectory, typeof(Conversations.V1.ConversationService).Assembly.GetName().Name + ".xml");
            o.IncludeXmlComments(contracts);
            o.IncludeGrpcXmlComments(contracts, includeControllerXmlComments: true);
            o.DocumentFilter<UniquePathTemplates>();
        });
        return services;
    }

    public const string OpenApiDocumentName = "v1";

    /// <summary>/openapi/v1.json, the reference page at /docs, and the event streams.</summary>
    public static WebApplication MapHttpApi(this WebApplication app)
    {
        app.MapSwagger("/openapi/{documentName}.json").DisableRateLimiting();
        app.MapScalarApiReference("/docs").DisableRateLimiting();
        app.MapEventStreams();
        return app;
    }
}
