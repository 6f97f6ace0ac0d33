using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Http;

/// <summary>Every RPC through its google.api.http route, on both ports, with the errors a client can act on:
/// the google.rpc.Status JSON with its details and the HTTP status of its code.</summary>
public sealed class TranscodingTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private static object NewConversation(string subject = "") => new { agent_id = NewId(), channel_id = NewId(), contact_id = NewId(), subject };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryRouteAnswersOnBothPorts(bool h2c)
    {
        using var http = new HttpJson(server, server.AdminKey, h2c);
        var created = (await http.OkAsync(HttpMethod.Post, "/v1/conversations", NewConversation("Order #1")))["conversation"]!;
        var id = (string)created["id"]!;
        Assert.Equal("CONVERSATION_STATUS_OPEN", (string?)created["status"]);

        var got = await http.OkAsync(HttpMethod.Get, $"/v1/conversations/{id}");
        Assert.Equal("Order #1", (string?)got["conversation"]!["subject"]);

        var patched = await http.OkAsync(HttpMethod.Patch, $"/v1/conversations/{id}?update_mask=subject,tags",
            new { subject = "Order #2", tags = new[] { "vip" } });
        Assert.Equal("Order #2", (string?)patched["conversation"]!["subject"]);
        Assert.Equal("vip", (string?)patched["conversation"]!["tags"]![0]);

        var sent = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}/messages",
            new { sender_type = "SENDER_TYPE_AI_AGENT", content = "Hi!", metadata = new Dictionary<string, string> { ["k"] = "v" } });
        Assert.Equal("1", (string?)sent["message"]!["sequence"]);
        Assert.Equal("v", (string?)sent["message"]!["metadata"]!["k"]);

        var messages = await http.OkAsync(HttpMethod.Get, $"/v1/conversations/{id}/messages?page_size=10");
        Assert.Equal("Hi!", (string?)messages["messages"]![0]!["content"]);

        var listed = await http.OkAsync(HttpMethod.Get, $"/v1/conversations?statuses=CONVERSATION_STATUS_OPEN&tag=vip&page_size=500");
        Assert.Contains(listed["conversations"]!.AsArray(), c => (string?)c!["id"] == id);

        var human = NewId();
        var handed = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}:handoff", new { assigned_to = human });
        Assert.Equal("CONVERSATION_STATUS_HUMAN", (string?)handed["conversation"]!["status"]);
        Assert.Equal(human, (string?)handed["conversation"]!["assignedTo"]);
        var resumed = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}:resume",
            new { etag = (string?)handed["conversation"]!["etag"] });
        Assert.Equal("CONVERSATION_STATUS_OPEN", (string?)resumed["conversation"]!["status"]);

        var channel = NewId();
        var ingested = await http.OkAsync(HttpMethod.Post, "/v1/conversations:ingest",
            new { channel_id = channel, contact_id = NewId(), agent_id = NewId(), content = "Where is my order?", external_id = "wa-1" });
        Assert.True((bool)ingested["conversationCreated"]!);
        Assert.Equal(channel, (string?)ingested["conversation"]!["channelId"]);

        var closed = await http.OkAsync(HttpMethod.Post, $"/v1/conversations/{id}:close", new { });
        Assert.Equal("CONVERSATION_STATUS_CLOSED", (string?)closed["conversation"]!["status"]);
    }

    [Fact]
    public async Task ServerStreamsArriveAsNewlineDelimitedJson()
    {
        using var http = new HttpJson(server, server.AdminKey);
        var conversation = await server.Client.CreateAsync();
        await server.Client.SendAsync(conversation.Id, SenderType.AiAgent, "one");
        await server.Client.SendAsync(conversation.Id, SenderType.AiAgent, "two");
        await server.Client.CloseConversationAsync(new() { Id = conversation.Id });

        // A closed conversation's stream delivers every message, then ends.
        using var all = await http.Client.SendAsync(http.Request(HttpMethod.Get, $"/v1/conversations/{conversation.Id}/messages:stream?after_sequence=0"));
        var body = await all.Content.ReadAsStringAsync();
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["message"]!).ToList();
        Assert.Equal(["one", "two"], lines.Select(m => (string)m["content"]!));

        // The watch follows live: a change made once the headers arrived is the next line.
        var other = await server.Client.CreateAsync();
        using var watch = new HttpJson(server, server.AdminKey);
        using var watchRequest = watch.Request(HttpMethod.Get, $"/v1/conversations:watch?conversation_id={other.Id}");
        using var response = await watch.Client.SendAsync(watchRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await server.Client.SendAsync(other.Id, SenderType.AiAgent, "live");
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var e = JsonNode.Parse(line!)!["event"]!;
        Assert.Equal("CONVERSATION_EVENT_TYPE_MESSAGE_ADDED", (string?)e["type"]);
        Assert.Equal("live", (string?)e["message"]!["content"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BadInputIs400WithEveryBadFieldNamed(bool h2c)
    {
        using var http = new HttpJson(server, server.AdminKey, h2c);
        var status = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Post, "/v1/conversations",
            new { agent_id = "not-a-uuid", channel_id = NewId() });
        Assert.Equal(["agent_id", "contact_id"], HttpJson.BadFields(status));

        var id = (await server.Client.CreateAsync()).Id;
        status = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Post, $"/v1/conversations/{id}/messages",
            new { sender_type = "SENDER_TYPE_AI_AGENT", content = "" });
        Assert.Contains("content", HttpJson.BadFields(status));
        status = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Patch, $"/v1/conversations/{id}?update_mask=status",
            new { subject = "x" });
        Assert.Contains("update_mask.paths[0]", HttpJson.BadFields(status));
        status = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Get, "/v1/conversations?page_size=-1");
        Assert.Contains("page_size", HttpJson.BadFields(status));
        status = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Get, "/v1/conversations/not-a-uuid");
        Assert.Contains("id", HttpJson.BadFields(status));
    }

    [Fact]
    public async Task JsonThatIsNotTheRequestIs400NotAServerError()
    {
        using var http = new HttpJson(server, server.AdminKey);
        foreach (var body in new[] { "{", "[1,2]", "{\"agent_id\": 5}", "{\"tags\": \"not-a-list\"}" })
        {
            using var request = http.Request(HttpMethod.Post, "/v1/conversations");
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            using var response = await http.Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task UnknownIdsAre404OnEveryRouteThatNamesOne()
    {
        using var http = new HttpJson(server, server.AdminKey);
        var unknown = NewId();
        await http.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Get, $"/v1/conversations/{unknown}");
        await http.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Patch, $"/v1/conversations/{unknown}", new { subject = "x" });
        await http.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Post, $"/v1/conversations/{unknown}:close", new { });
        await http.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Get, $"/v1/conversations/{unknown}/messages");
        await http.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Post, $"/v1/conversations/{unknown}/messages",
            new { sender_type = "SENDER_TYPE_AI_AGENT", content = "hi" });
        await http.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Get, $"/v1/conversations/{unknown}/messages:stream");
    }

    [Fact]
    public async Task RefusedTransitionIs400WithItsReasonAndStaleEtagIs409()
    {
        using var http = new HttpJson(server, server.AdminKey);
        var conversation = await server.Client.CreateAsync();
        var refused = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.FailedPrecondition, HttpMethod.Post,
            $"/v1/conversations/{conversation.Id}:resume", new { });
        var info = HttpJson.Detail(refused, "ErrorInfo")!;
        Assert.Equal("TRANSITION_NOT_ALLOWED", (string?)info["reason"]);
        Assert.Equal("open", (string?)info["metadata"]!["status"]);

        await server.Client.SendAsync(conversation.Id, SenderType.AiAgent);   // the etag moves on
        await http.FailsAsync(HttpStatusCode.Conflict, StatusCode.Aborted, HttpMethod.Post,
            $"/v1/conversations/{conversation.Id}:handoff", new { assigned_to = NewId(), etag = conversation.Etag });
        await http.FailsAsync(HttpStatusCode.Conflict, StatusCode.Aborted, HttpMethod.Patch,
            $"/v1/conversations/{conversation.Id}", new { subject = "x", etag = conversation.Etag });
    }

    [Fact]
    public async Task MissingOrUnknownKeyIs401AndAReadKeyWritingIs403()
    {
        var conversation = await server.Client.CreateAsync();
        foreach (var key in new[] { null, "not-a-key" })
        {
            using var anonymous = new HttpJson(server, key);
            await anonymous.FailsAsync(HttpStatusCode.Unauthorized, StatusCode.Unauthenticated, HttpMethod.Get, $"/v1/conversations/{conversation.Id}");
            await anonymous.FailsAsync(HttpStatusCode.Unauthorized, StatusCode.Unauthenticated, HttpMethod.Get, $"/v1/conversations/{conversation.Id}/messages:stream");
            await anonymous.FailsAsync(HttpStatusCode.Unauthorized, StatusCode.Unauthenticated, HttpMethod.Get, $"/v1/sse/conversations/{conversation.Id}/messages:stream");
        }

        var (readKey, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Read);
        using var reader = new HttpJson(server, readKey, h2c: true);
        await reader.OkAsync(HttpMethod.Get, $"/v1/conversations/{conversation.Id}");
        await reader.FailsAsync(HttpStatusCode.Forbidden, StatusCode.PermissionDenied, HttpMethod.Post, $"/v1/conversations/{conversation.Id}:close", new { });
        await reader.FailsAsync(HttpStatusCode.Forbidden, StatusCode.PermissionDenied, HttpMethod.Post, "/v1/conversations", NewConversation());

        // x-api-key works as well as the bearer header.
        using var request = reader.Request(HttpMethod.Get, $"/v1/conversations/{conversation.Id}");
        request.Headers.Authorization = null;
        request.Headers.Add("x-api-key", readKey);
        using var response = await reader.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AnotherWorkspacesConversationIs404()
    {
        var conversation = await server.Client.CreateAsync();
        var (otherKey, _) = await server.CreateKeyAsync("other-" + NewId(), ApiKeyScope.Write);
        using var other = new HttpJson(server, otherKey);
        await other.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Get, $"/v1/conversations/{conversation.Id}");
    }
}

/// <summary>Per-key limits apply to HTTP/JSON calls as to gRPC ones, with Retry-After on 429.</summary>
public sealed class TranscodingLimitsTests(LimitedServer server) : IClassFixture<LimitedServer>
{
    [Fact]
    public async Task RateLimitIs429WithRetryAfterAndRetryInfo()
    {
        var (key, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Read);
        using var http = new HttpJson(server, key);
        for (var i = 0; i < 50; i++)
        {
            var (status, body, response) = await http.SendAsync(HttpMethod.Get, "/v1/conversations?page_size=1");
            if (status == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal((int)StatusCode.ResourceExhausted, (int)body["code"]!);
                Assert.NotNull(HttpJson.Detail(body, "RetryInfo"));
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
                return;
            }
            Assert.Equal(HttpStatusCode.OK, status);
        }
        Assert.Fail("50 calls at once never met the limit of 5");
    }
}

/// <summary>The cap on open streams counts HTTP streams (NDJSON and SSE) as gRPC ones.</summary>
public sealed class TranscodedStreamCapTests(StreamCappedServer server) : IClassFixture<StreamCappedServer>
{
    [Fact]
    public async Task ThirdOpenStreamOfAKeyIs429()
    {
        var (key, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Read);
        using var http = new HttpJson(server, key);
        var conversation = await server.Client.CreateAsync();
        using var first = await http.Client.SendAsync(http.Request(HttpMethod.Get, "/v1/conversations:watch"), HttpCompletionOption.ResponseHeadersRead);
        using var second = await http.Client.SendAsync(http.Request(HttpMethod.Get, "/v1/sse/conversations:watch"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await http.FailsAsync(HttpStatusCode.TooManyRequests, StatusCode.ResourceExhausted, HttpMethod.Get, $"/v1/conversations/{conversation.Id}/messages:stream");
        await http.FailsAsync(HttpStatusCode.TooManyRequests, StatusCode.ResourceExhausted, HttpMethod.Get, $"/v1/sse/conversations/{conversation.Id}/messages:stream");
    }
}
