using System.Net;
using System.Text.Json.Nodes;
using Microsoft.OpenApi.Readers;
using Timely.Server.Hosting;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.Http;

/// <summary>The OpenAPI document is generated from the contract's annotations and comments: every route,
/// valid OpenAPI 3, the server's version; and the reference page that reads it.</summary>
public sealed class OpenApiTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    /// <summary>Every route of the contract's google.api.http annotations, and the two event streams.</summary>
    public static readonly TheoryData<string, string> Routes = new()
    {
        { "post", "/v1/conversations" },
        { "get", "/v1/conversations" },
        { "get", "/v1/conversations/{id}" },
        { "patch", "/v1/conversations/{id}" },   // {conversation.id} in the contract: the same path to OpenAPI
        { "post", "/v1/conversations/{id}:handoff" },
        { "post", "/v1/conversations/{id}:resume" },
        { "post", "/v1/conversations/{id}:close" },
        { "post", "/v1/conversations/{conversationId}/messages" },
        { "get", "/v1/conversations/{conversationId}/messages" },
        { "post", "/v1/conversations:ingest" },
        { "get", "/v1/conversations/{conversationId}/messages:stream" },
        { "get", "/v1/conversations:watch" },
        { "get", "/v1/messages:search" },
        { "get", "/v1/conversations:search" },
        { "post", "/v1/conversations/{conversationId}:setActivity" },
        { "post", "/v1/conversations/{conversationId}/messages:updateDeliveryStatus" },
        { "post", "/v1/conversations/{conversationId}:markRead" },
        { "post", "/v1/conversations/{conversationId}/messages/{messageId}:edit" },
        { "post", "/v1/conversations/{conversationId}/messages/{messageId}:redact" },
        { "get", "/v1/conversations/{conversationId}/messages/{messageId}" },
        { "get", "/v1/conversations/{conversationId}/messages/{messageId}/revisions" },
        { "post", "/v1/webhooks" },
        { "get", "/v1/webhooks" },
        { "get", "/v1/webhooks/{id}" },
        { "patch", "/v1/webhooks/{id}" },   // {endpoint.id} in the contract
        { "delete", "/v1/webhooks/{id}" },
        { "post", "/v1/webhooks/{id}:rotateSecret" },
        { "get", "/v1/webhooks/{endpointId}/deliveries" },
        { "post", "/v1/webhooks/{endpointId}:redeliver" },
        { "post", "/v1/webhooks/{endpointId}:sendTestEvent" },
        { "post", "/v1/contacts/{contactId}:erase" },
        { "get", "/v1/erasures/{id}" },
        { "get", "/v1/erasures" },
        { "get", "/v1/retentionPolicy" },
        { "patch", "/v1/retentionPolicy" },
        { "get", "/v1/conversations:export" },
        { "get", "/v1/sse/conversations/{conversation_id}/messages:stream" },
        { "get", "/v1/sse/conversations:watch" },
    };

    [Fact]
    public async Task TheDocumentIsValidOpenApi3WithTheServersVersion()
    {
        using var http = new HttpJson(server, key: null);
        var text = await http.Client.GetStringAsync("/openapi/v1.json");

        var document = new OpenApiStringReader().Read(text, out var diagnostic);
        Assert.True(diagnostic.Errors.Count == 0, string.Join("\n", diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        Assert.Equal(Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_0, diagnostic.SpecificationVersion);
        Assert.StartsWith("3.", (string?)JsonNode.Parse(text)!["openapi"]);
        Assert.Equal(ServerVersion.Current, document.Info.Version);

        // Every operation of the contract, and nothing else.
        var operations = document.Paths.SelectMany(p => p.Value.Operations.Select(o => (o.Key.ToString().ToLowerInvariant(), p.Key))).ToHashSet();
        Assert.Equal(Routes.Select(r => ((string)r[0], (string)r[1])).ToHashSet(), operations);
    }

    [Fact]
    public async Task ProtoCommentsBecomeDescriptions()
    {
        using var http = new HttpJson(server, key: null);
        var document = JsonNode.Parse(await http.Client.GetStringAsync("/openapi/v1.json"))!;
        var handoff = document["paths"]!["/v1/conversations/{id}:handoff"]!["post"]!;
        Assert.Contains("Hands an OPEN or WAITING conversation over to a human agent", (string?)handoff["summary"]);
        Assert.Equal("HandoffConversation", (string?)handoff["operationId"]);
        var sequence = document["components"]!["schemas"]!["Message"]!["properties"]!["sequence"]!;
        Assert.Contains("Position within the conversation", (string?)sequence["description"]);
    }

    [Fact]
    public async Task TheReferencePageIsServedOnTheWebPort()
    {
        using var http = new HttpJson(server, key: null);
        using var response = await http.Client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Scalar", await response.Content.ReadAsStringAsync());
    }
}
