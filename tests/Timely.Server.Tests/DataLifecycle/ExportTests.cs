using System.Net.Http.Headers;
using System.Text.Json;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.DataLifecycle;

/// <summary>ExportConversations: every matching conversation with all its messages, resumable with the
/// cursor of the last item, and the same as newline-delimited JSON over HTTP.</summary>
public sealed class ExportTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task ExportOfTenThousandConversationsResumesAfterADisconnectWithNoneMissingOrRepeated()
    {
        var agent = NewId();
        await server.SeedConversationsAsync(agent, 10_000);
        var data = server.Data();
        var request = new ExportConversationsRequest { AgentId = agent };

        var seen = new List<ExportConversationsResponse>();
        var timer = System.Diagnostics.Stopwatch.StartNew();
        using (var disconnect = new CancellationTokenSource())
        using (var call = data.ExportConversations(request, cancellationToken: disconnect.Token))
        {
            while (seen.Count < 3_333 && await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                seen.Add(call.ResponseStream.Current);
            }
            await disconnect.CancelAsync();   // the client goes away mid-stream
        }
        using (var resumed = data.ExportConversations(new ExportConversationsRequest(request) { AfterCursor = seen[^1].Cursor }))
        {
            seen.AddRange(await resumed.ResponseStream.ReadAllAsync().ToListAsync());
        }
        var elapsed = timer.Elapsed;

        Assert.Equal(10_000, seen.Count);
        Assert.Equal(10_000, seen.Select(i => i.Conversation.Id).Distinct().Count());
        Assert.All(seen, i => Assert.True(i.ConversationComplete && i.Messages.Count == 1 && i.Messages[0].Sequence == 1));
        // Oldest first, ties broken by id.
        var order = seen.Select(i => (i.Conversation.CreatedAt.ToDateTimeOffset(), i.Conversation.Id)).ToList();
        Assert.Equal(order.OrderBy(o => o.Item1).ThenBy(o => o.Id, StringComparer.Ordinal), order);
        Figures.Write($"export 10,000 conversations ({(server.Postgres is null ? "SQLite" : "PostgreSQL")}): {elapsed.TotalSeconds:F2} s with one resume");
    }

    [Fact]
    public async Task LongConversationsSpanItemsAndResumeInsideAConversation()
    {
        var agent = NewId();
        var longOne = await client.CreateAsync(agentId: agent, subject: "long");
        await server.SeedMessagesAsync(longOne, 1_200, sequence => $"line {sequence}");
        var shortOne = await client.CreateAsync(agentId: agent, subject: "short");
        await client.SendAsync(shortOne.Id, SenderType.Customer, "only line");
        var empty = await client.CreateAsync(agentId: agent, subject: "empty");
        var data = server.Data();

        var items = await data.ExportConversations(new ExportConversationsRequest { AgentId = agent }).ResponseStream.ReadAllAsync().ToListAsync();
        var longItems = items.TakeWhile(i => i.Conversation.Id == longOne.Id).ToList();
        Assert.True(longItems.Count >= 3, $"{longItems.Count} items for 1,200 messages");
        Assert.All(longItems, i => Assert.InRange(i.Messages.Count, 1, 500));
        Assert.Equal(longItems.Select((_, n) => n == longItems.Count - 1), longItems.Select(i => i.ConversationComplete));
        Assert.Equal(Enumerable.Range(1, 1_200).Select(i => (long)i), longItems.SelectMany(i => i.Messages).Select(m => m.Sequence));
        Assert.Equal([shortOne.Id, empty.Id], items.Skip(longItems.Count).Select(i => i.Conversation.Id));
        Assert.All(items.Skip(longItems.Count), i => Assert.True(i.ConversationComplete));
        Assert.Equal("only line", items[^2].Messages.Single().Content);
        Assert.Empty(items[^1].Messages);

        // Resumed after the first item: the rest of the long conversation, then the others.
        var rest = await data.ExportConversations(new ExportConversationsRequest { AgentId = agent, AfterCursor = items[0].Cursor })
            .ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Equal(items.Skip(1).Select(i => i.ToString()), rest.Select(i => i.ToString()));

        // A cursor is bound to its filters.
        await FailsOnField("after_cursor", async () =>
        {
            using var call = data.ExportConversations(new ExportConversationsRequest { AgentId = NewId(), AfterCursor = items[0].Cursor });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        await FailsOnField("statuses[0]", async () =>
        {
            using var call = data.ExportConversations(new ExportConversationsRequest { Statuses = { ConversationStatus.Unspecified } });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
    }

    [Fact]
    public async Task HttpRouteGivesNewlineDelimitedJson()
    {
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent, subject: "over http");
        await client.SendAsync(conversation.Id, SenderType.Customer, "hello over http");
        await client.CreateAsync(agentId: agent);
        _ = server.Channel;

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.WebPort}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/conversations:export?agent_id={agent}&statuses=CONVERSATION_STATUS_OPEN");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminKey);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(conversation.Id, first.RootElement.GetProperty("conversation").GetProperty("id").GetString());
        Assert.Equal("hello over http", first.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.True(first.RootElement.GetProperty("conversationComplete").GetBoolean());
        Assert.False(string.IsNullOrEmpty(first.RootElement.GetProperty("cursor").GetString()));
    }
}
