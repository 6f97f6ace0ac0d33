using System.Net;
using Timely.Server.Tests.Http;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Receipts;

/// <summary>The receipt routes over HTTP/JSON, transcoded from the contract's annotations.</summary>
public sealed class ReceiptHttpTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    [Fact]
    public async Task EveryReceiptRouteAnswersOverHttpJson()
    {
        using var http = new HttpJson(server, server.AdminKey);
        var human = NewId();
        var id = (string)(await http.OkAsync(HttpMethod.Post, "/v1/conversations", new { agent_id = NewId(), channel_id = NewId(), contact_id = NewId() }))["conversation"]!["id"]!;
        var message = (await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}/messages", new { sender_type = "SENDER_TYPE_AI_AGENT", content = "v1" }))["message"]!;
        var messageId = (string)message["id"]!;

        var reported = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}/messages:updateDeliveryStatus",
            new { message_id = messageId, external_id = "ext-1", status = "DELIVERY_STATUS_DELIVERED" });
        var read = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}:markRead",
            new { participant_type = "READ_PARTICIPANT_TYPE_HUMAN_AGENT", participant_id = human, up_to_sequence = 1 });
        var edited = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}/messages/{messageId}:edit",
            new { content = "v2", revision = 1, editor_type = "SENDER_TYPE_AI_AGENT" });
        var got = await http.OkAsync(HttpMethod.Get, $"/v1/conversations/{id}/messages/{messageId}");
        var revisions = await http.OkAsync(HttpMethod.Get, $"/v1/conversations/{id}/messages/{messageId}/revisions");
        var redacted = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}/messages/{messageId}:redact", new { });
        var unread = await http.OkAsync(HttpMethod.Get, $"/v1/conversations?unread_for={NewId()}&only_unread=true&agent_id={(string)read["conversation"]!["agentId"]!}");

        Assert.Equal("DELIVERY_STATUS_DELIVERED", (string?)reported["message"]!["deliveryStatus"]);
        Assert.Equal("1", (string?)read["conversation"]!["readHorizons"]![0]!["readSequence"]);
        Assert.Equal("2", (string?)edited["message"]!["revision"]);
        Assert.Equal("v2", (string?)got["message"]!["content"]);
        Assert.Equal(2, revisions["revisions"]!.AsArray().Count);
        Assert.True((bool?)redacted["message"]!["redacted"]);
        Assert.Equal("1", (string?)unread["conversations"]![0]!["unreadCount"]);
        var (status, _, _) = await http.SendAsync(HttpMethod.Post, $"/v1/conversations/{id}/messages/{messageId}:edit",
            new { content = "v3", editor_type = "SENDER_TYPE_AI_AGENT" });
        Assert.Equal(HttpStatusCode.BadRequest, status);   // FAILED_PRECONDITION: redacted
    }
}
