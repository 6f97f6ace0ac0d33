using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Http;

/// <summary>A server whose event streams send keep-alive comments often, so a test sees them.</summary>
public sealed class KeepAliveServer() : TimelyServer(clock: null, new Dictionary<string, string?>
{
    ["EventStreams:KeepAliveInterval"] = "00:00:00.200",
});

/// <summary>The feeds as Server-Sent Events: ids are positions, Last-Event-ID resumes exactly, errors are
/// HTTP errors before the stream starts and an `end` event after.</summary>
public sealed class EventStreamTests(KeepAliveServer server) : IClassFixture<KeepAliveServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task ReconnectingWithLastEventIdDeliversEveryMessageOnceInOrderUnderConcurrentWriters()
    {
        var conversation = await client.CreateAsync();
        const int writers = 4, perWriter = 60, total = writers * perWriter;
        var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await client.SendAsync(conversation.Id, SenderType.Customer, $"writer {w} message {i}");
            }
        })));

        // Read a few events per connection, drop it, reconnect with the last id seen, until all arrived.
        var received = new List<(long Id, JsonNode Message)>();
        string? lastEventId = null;
        var random = new Random(15);
        using var http = new HttpJson(server, server.AdminKey);
        for (var connection = 0; received.Count < total; connection++)
        {
            Assert.True(connection < 500, $"only {received.Count} of {total} messages after 500 connections");
            using var stream = await OpenAsync(http, $"/v1/sse/conversations/{conversation.Id}/messages:stream", lastEventId);
            var take = random.Next(1, 25);
            for (var n = 0; n < take && received.Count < total; n++)
            {
                var e = await NextEventAsync(stream);
                var message = JsonNode.Parse(e.Data)!;
                Assert.Equal(e.Id, (string?)message["sequence"]);
                received.Add((long.Parse(e.Id!), message));
                lastEventId = e.Id;
            }
        }
        await writing;

        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), received.Select(r => r.Id));
        var stored = await client.AllMessagesAsync(conversation.Id);
        Assert.Equal(stored.Select(m => m.Id), received.Select(r => (string)r.Message["id"]!));
        Assert.Equal(writers * perWriter, received.Select(r => (string)r.Message["content"]!).Distinct().Count());
    }

    [Fact]
    public async Task AClosedConversationsStreamEndsWithAnOkEndEventAndQueryPositionWorksToo()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "one");
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "two");
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });
        using var http = new HttpJson(server, server.AdminKey);

        using var stream = await OpenAsync(http, $"/v1/sse/conversations/{conversation.Id}/messages:stream?after_sequence=1", lastEventId: null);
        var e = await NextEventAsync(stream);
        Assert.Equal(("2", "two"), (e.Id, (string?)JsonNode.Parse(e.Data)!["content"]));
        var end = await NextEventAsync(stream);
        Assert.Equal("end", end.Event);
        Assert.Equal(0, (int)JsonNode.Parse(end.Data)!["code"]!);
        Assert.Null(await stream.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WatchResumesFromTheCursorInLastEventIdAndIdleStreamsGetKeepAliveComments()
    {
        var agent = NewId();
        using var http = new HttpJson(server, server.AdminKey);
        string cursor;
        using (var stream = await OpenAsync(http, $"/v1/sse/conversations:watch?agent_id={agent}&statuses=CONVERSATION_STATUS_OPEN", lastEventId: null))
        {
            var conversation = await client.CreateAsync(agentId: agent);
            var created = await NextEventAsync(stream);
            var e = JsonNode.Parse(created.Data)!;
            Assert.Equal("CONVERSATION_EVENT_TYPE_CREATED", (string?)e["type"]);
            Assert.Equal(created.Id, (string?)e["cursor"]);
            cursor = created.Id!;

            // Silent for a while: only comments arrive.
            var comment = await stream.ReadAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal("keep-alive", comment?.Comment);

            // Changes made while no one is connected ...
            await client.SendAsync(conversation.Id, SenderType.AiAgent, "while away");
        }
        await client.CreateAsync(agentId: NewId());   // another agent's: filtered out

        // ... arrive after the cursor, and nothing before it does.
        using var resumed = await OpenAsync(http, $"/v1/sse/conversations:watch?agent_id={agent}&statuses=CONVERSATION_STATUS_OPEN", cursor);
        var next = JsonNode.Parse((await NextEventAsync(resumed)).Data)!;
        Assert.Equal("CONVERSATION_EVENT_TYPE_MESSAGE_ADDED", (string?)next["type"]);
        Assert.Equal("while away", (string?)next["message"]!["content"]);
    }

    [Fact]
    public async Task BadPositionsAndUnknownConversationsAreHttpErrorsWithTheStatusJson()
    {
        using var http = new HttpJson(server, server.AdminKey);
        var conversation = await client.CreateAsync();
        var path = $"/v1/sse/conversations/{conversation.Id}/messages:stream";

        using (var request = http.Request(HttpMethod.Get, path))
        {
            request.Headers.Add("Last-Event-ID", "not-a-sequence");
            var status = await FailureAsync(http, request, HttpStatusCode.BadRequest, StatusCode.InvalidArgument);
            Assert.Equal(["Last-Event-ID"], HttpJson.BadFields(status));
        }
        await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.OutOfRange, HttpMethod.Get, path + "?after_sequence=5");
        await http.FailsAsync(HttpStatusCode.NotFound, StatusCode.NotFound, HttpMethod.Get, $"/v1/sse/conversations/{NewId()}/messages:stream");
        var bad = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Get, $"/v1/sse/conversations/not-a-uuid/messages:stream");
        Assert.Equal(["conversation_id"], HttpJson.BadFields(bad));
        bad = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Get, "/v1/sse/conversations:watch?statuses=OPENED");
        Assert.Equal(["statuses[0]"], HttpJson.BadFields(bad));
        bad = await http.FailsAsync(HttpStatusCode.BadRequest, StatusCode.InvalidArgument, HttpMethod.Get, "/v1/sse/conversations:watch?statuses=CONVERSATION_STATUS_UNSPECIFIED");
        Assert.Contains("statuses[0]", HttpJson.BadFields(bad));
        using (var request = http.Request(HttpMethod.Get, "/v1/sse/conversations:watch"))
        {
            request.Headers.Add("Last-Event-ID", "not-a-cursor");
            await FailureAsync(http, request, HttpStatusCode.BadRequest, StatusCode.InvalidArgument);
        }
    }

    [Fact]
    public async Task RevokingTheKeyEndsTheStreamWithAnUnauthenticatedEndEvent()
    {
        var (key, id) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Read);
        using var http = new HttpJson(server, key);
        using var stream = await OpenAsync(http, "/v1/sse/conversations:watch", lastEventId: null);
        await server.GetService<ApiKeyStore>().RevokeAsync(id, CancellationToken.None);

        var end = await NextEventAsync(stream, seconds: 15);
        Assert.Equal("end", end.Event);
        Assert.Equal((int)StatusCode.Unauthenticated, (int)JsonNode.Parse(end.Data)!["code"]!);
    }

    internal static async Task<EventStreamReader> OpenAsync(HttpJson http, string path, string? lastEventId)
    {
        var request = http.Request(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");   // an error's body ends; a stream's does not
        }
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStreamReader(await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event, skipping keep-alive comments.</summary>
    internal static async Task<ServerSentEvent> NextEventAsync(EventStreamReader stream, double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            // Checked here too: a reader with buffered lines returns them even once cancelled.
            timeout.Token.ThrowIfCancellationRequested();
            var e = await stream.ReadAsync(timeout.Token) ?? throw new InvalidOperationException("the stream ended");
            if (e.Comment is null)
            {
                return e;
            }
        }
    }

    private static async Task<JsonNode> FailureAsync(HttpJson http, HttpRequestMessage request, HttpStatusCode expected, StatusCode code)
    {
        using var response = await http.Client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode} {body.ToJsonString()}");
        Assert.Equal((int)code, (int)body["code"]!);
        return body;
    }
}
