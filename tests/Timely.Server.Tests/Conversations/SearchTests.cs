using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.DataLifecycle;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>SearchMessages and SearchConversations on a real store (SQLite, or PostgreSQL with
/// TIMELY_TEST_POSTGRES): the syntax, filters, exact paging, workspace isolation, refused queries and
/// an index that stays consistent under concurrent writers. Each test searches for words of its own
/// (<see cref="Unique"/>), so the tests share one server.</summary>
public sealed class SearchTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task WordsPhrasesPrefixesAndExclusionsFindWhatTheyDescribe()
    {
        var w = Unique();
        var c = await client.CreateAsync();
        var ids = new Dictionary<string, string>();
        foreach (var (name, text) in new[]
        {
            ("order", $"{w} I want a Refund for order 12345, mail bob@example.com"),
            ("processed", $"{w} the refund was processed yesterday"),
            ("refunding", $"{w} refunding takes a week"),
            ("spam", $"{w} refund spam offer"),
            ("other", $"{w} nothing to see here"),
        })
        {
            ids[name] = (await client.SendAsync(c.Id, SenderType.Customer, text)).Message.Id;
        }

        async Task Finds(string query, params string[] expected) =>
            Assert.Equal(expected.Select(e => ids[e]).Order(), (await SearchAllAsync(new SearchMessagesRequest { Query = query })).Select(h => h.MessageId).Order());

        await Finds($"{w} refund", "order", "processed", "spam");
        await Finds($"{w} REFUND", "order", "processed", "spam");
        await Finds($"{w} refund order", "order");
        await Finds($"{w} \"refund was processed\"", "processed");
        await Finds($"{w} \"processed was refund\"");
        await Finds($"{w} refund*", "order", "processed", "refunding", "spam");
        await Finds($"{w} refund -spam", "order", "processed");
        await Finds($"{w} refund* -\"spam offer\" -week", "order", "processed");
        await Finds($"{w} 12345", "order");
        await Finds($"{w} bob@example.com", "order");
        await Finds($"{w} -refund*", "other");

        var hit = Assert.Single((await client.SearchMessagesAsync(new SearchMessagesRequest { Query = $"{w} processed" })).Hits);
        Assert.Equal(c.Id, hit.ConversationId);
        Assert.Equal(2, hit.Sequence);
        Assert.Equal(hit.MessageId, hit.Message.Id);
        Assert.Equal($"{w} the refund was processed yesterday", hit.Message.Content);
        Assert.Contains("<mark>processed</mark>", hit.Snippet);
    }

    [Fact]
    public async Task AccentsAreIgnoredOnEveryStore()
    {
        var w = Unique();
        var c = await client.CreateAsync(subject: $"{w} Crème brûlée");
        var accented = (await client.SendAsync(c.Id, SenderType.Customer, $"{w} le café est fermé")).Message.Id;
        var plain = (await client.SendAsync(c.Id, SenderType.Customer, $"{w} the cafe is closed")).Message.Id;

        async Task<IEnumerable<string>> Found(string query) =>
            (await SearchAllAsync(new SearchMessagesRequest { Query = query })).Select(h => h.MessageId).Order();

        Assert.Equal(new[] { accented, plain }.Order(), await Found($"{w} cafe"));
        Assert.Equal(new[] { accented, plain }.Order(), await Found($"{w} CAFÉ"));
        Assert.Equal(new[] { accented }, await Found($"{w} \"cafe est ferme\""));
        Assert.Equal(new[] { accented }, await Found($"{w} fer*"));
        var hit = Assert.Single((await client.SearchMessagesAsync(new SearchMessagesRequest { Query = $"{w} ferme" })).Hits);
        Assert.Contains("<mark>fermé</mark>", hit.Snippet);
        Assert.Single((await client.SearchConversationsAsync(new SearchConversationsRequest { Query = $"{w} creme brulee" })).Conversations);
    }

    [Fact]
    public async Task SnippetsAreEscapedHtml()
    {
        var w = Unique();
        var c = await client.CreateAsync();
        await client.SendAsync(c.Id, SenderType.Customer, $"<script>alert(1)</script> {w} & more");
        var hit = Assert.Single((await client.SearchMessagesAsync(new SearchMessagesRequest { Query = w })).Hits);
        Assert.DoesNotContain("<script", hit.Snippet);
        Assert.DoesNotContain("& ", hit.Snippet);
        Assert.Contains($"<mark>{w}</mark>", hit.Snippet);
    }

    [Fact]
    public async Task FiltersCombineWithTheSearch()
    {
        var w = Unique();
        var agent = NewId();
        var vip = await client.CreateAsync(agentId: agent, tags: "vip");
        var plain = await client.CreateAsync(agentId: agent);
        var otherAgent = await client.CreateAsync(tags: "vip");
        var human = NewId();
        foreach (var c in new[] { vip, plain, otherAgent })
        {
            await client.SendAsync(c.Id, SenderType.Customer, $"{w} where is my parcel");
        }
        await client.HandoffConversationAsync(new HandoffConversationRequest { Id = plain.Id, AssignedTo = human });

        async Task<string[]> Conversations(SearchMessagesRequest request) =>
            [.. (await SearchAllAsync(request)).Select(h => h.ConversationId).Order()];

        Assert.Equal(new[] { vip.Id, plain.Id }.Order(), await Conversations(new() { Query = $"{w} parcel", AgentId = agent }));
        Assert.Equal([vip.Id], await Conversations(new() { Query = $"{w} parcel", AgentId = agent, Tag = "vip" }));
        Assert.Equal([plain.Id], await Conversations(new() { Query = $"{w} parcel", Statuses = { ConversationStatus.Human } }));
        Assert.Equal([plain.Id], await Conversations(new() { Query = $"{w} parcel", AssignedTo = human }));
        Assert.Equal([otherAgent.Id], await Conversations(new() { Query = $"{w} parcel", ChannelId = otherAgent.ChannelId }));
        Assert.Equal([vip.Id], await Conversations(new() { Query = $"{w} parcel", ContactId = vip.ContactId }));
        Assert.Empty(await Conversations(new() { Query = $"{w} parcel", AgentId = agent, Statuses = { ConversationStatus.Closed } }));
        Assert.Empty(await Conversations(new() { Query = $"{w} parcel", CreatedBefore = vip.CreatedAt }));
    }

    [Fact]
    public async Task FiltersKeepingFewOrManyMessagesFindTheSameMatches()
    {
        // On SQLite a filtered search starts from the filtered conversations' messages when they are few (a contact's),
        // and walks the matches when they are many (over 20,000 here): both ways find exactly the filtered matches.
        var w = Unique();
        var agent = NewId();
        var busy = await client.CreateAsync(agentId: agent);
        await server.SeedMessagesAsync(busy, 20_001, sequence => sequence % 1000 == 0 ? $"{w} seeded {sequence}" : $"filler {sequence}");
        var quiet = await client.CreateAsync(agentId: agent);
        var quietHit = (await client.SendAsync(quiet.Id, SenderType.Customer, $"{w} quiet")).Message.Id;
        var otherAgent = await client.CreateAsync();
        await client.SendAsync(otherAgent.Id, SenderType.Customer, $"{w} another agent's");

        var byAgent = await SearchAllAsync(new SearchMessagesRequest { Query = w, AgentId = agent, PageSize = 7 });
        Assert.Equal(21, byAgent.Count);   // sequences 1,000 to 20,000 of the busy conversation, and the quiet one's
        Assert.Equal(new[] { busy.Id, quiet.Id }.Order(), byAgent.Select(h => h.ConversationId).Distinct().Order());
        Assert.Equal(quietHit, Assert.Single(await SearchAllAsync(new SearchMessagesRequest { Query = w, ContactId = quiet.ContactId })).MessageId);

        async Task<string[]> Conversations(SearchConversationsRequest request) =>
            [.. (await client.SearchConversationsAsync(request)).Conversations.Select(c => c.Id).Order()];
        Assert.Equal(new[] { busy.Id, quiet.Id }.Order(), await Conversations(new() { Query = w, AgentId = agent }));
        Assert.Equal([quiet.Id], await Conversations(new() { Query = w, ContactId = quiet.ContactId }));
        Assert.Equal([otherAgent.Id], await Conversations(new() { Query = w, ContactId = otherAgent.ContactId }));
    }

    [Fact]
    public async Task PagingIsExactAcrossAThousandHits()
    {
        var w = Unique();
        var conversations = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.CreateAsync()));
        var written = new List<string>[4];
        // Contents of several lengths and word counts: many distinct scores, and many ties within each.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async k =>
        {
            written[k] = [];
            for (var i = k; i < 1000; i += 4)
            {
                var text = string.Join(' ', Enumerable.Repeat(w, 1 + i % 3)) + " filler" + new string('x', i % 5) + string.Concat(Enumerable.Repeat(" word", i % 7));
                written[k].Add((await client.SendAsync(conversations[k].Id, SenderType.Customer, text)).Message.Id);
            }
        }));

        var paged = await SearchAllAsync(new SearchMessagesRequest { Query = w, PageSize = 37 });
        var ids = paged.Select(h => h.MessageId).ToList();
        Assert.Equal(1000, ids.Count);
        Assert.Equal(written.SelectMany(x => x).Order(), ids.Order());
        // The same order as two big pages: relevance, then message id.
        var big = await SearchAllAsync(new SearchMessagesRequest { Query = w, PageSize = 500 });
        Assert.Equal(big.Select(h => h.MessageId), ids);
        // Most relevant first: a message with the word three times comes before one with it once.
        var rank = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var contents = paged.ToDictionary(h => h.MessageId, h => h.Message.Content);
        Assert.True(ids.Take(100).Count(id => contents[id].StartsWith($"{w} {w} {w}", StringComparison.Ordinal)) > 50,
            "the first hits should be the messages that repeat the word");
        Assert.True(rank.Count == 1000);
        // Every hit of every page has its own snippet (the page's snippets are read in one pass over its rowids).
        Assert.All(paged, h => Assert.Contains($"<mark>{w}</mark>", h.Snippet));
        Assert.All(paged, h => Assert.StartsWith(h.Snippet.Replace("<mark>", "").Replace("</mark>", "").TrimEnd('…'), h.Message.Content));
    }

    [Fact]
    public async Task APageTokenIsBoundToItsQueryAndFilters()
    {
        var w = Unique();
        var c = await client.CreateAsync();
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(c.Id, SenderType.Customer, $"{w} number {i}");
        }
        var page = await client.SearchMessagesAsync(new SearchMessagesRequest { Query = w, PageSize = 1 });
        Assert.NotEmpty(page.NextPageToken);
        await FailsOnField("page_token", () => client.SearchMessagesAsync(new SearchMessagesRequest { Query = $"{w} number", PageSize = 1, PageToken = page.NextPageToken }).ResponseAsync);
        await FailsOnField("page_token", () => client.SearchMessagesAsync(new SearchMessagesRequest { Query = w, AgentId = c.AgentId, PageToken = page.NextPageToken }).ResponseAsync);
        var next = await client.SearchMessagesAsync(new SearchMessagesRequest { Query = w, PageSize = 5, PageToken = page.NextPageToken });
        Assert.Equal(2, next.Hits.Count);
        Assert.DoesNotContain(next.Hits, h => h.MessageId == page.Hits[0].MessageId);
    }

    [Fact]
    public async Task SearchesNeverShowAnotherWorkspace()
    {
        var w = Unique();
        var (key, _) = await server.CreateKeyAsync("search-" + Unique(), ApiKeyScope.Write);
        var theirs = server.ClientWith(key);
        var mineConversation = await client.CreateAsync(subject: $"{w} subject");
        var theirConversation = await theirs.CreateAsync(subject: $"{w} subject");
        var mine = (await client.SendAsync(mineConversation.Id, SenderType.Customer, $"{w} secret")).Message.Id;
        var their = (await theirs.SendAsync(theirConversation.Id, SenderType.Customer, $"{w} secret")).Message.Id;

        Assert.Equal([mine], (await client.SearchMessagesAsync(new SearchMessagesRequest { Query = w })).Hits.Select(h => h.MessageId));
        Assert.Equal([their], (await theirs.SearchMessagesAsync(new SearchMessagesRequest { Query = w })).Hits.Select(h => h.MessageId));
        Assert.Equal([mineConversation.Id], (await client.SearchConversationsAsync(new SearchConversationsRequest { Query = w })).Conversations.Select(c => c.Id));
        Assert.Equal([theirConversation.Id], (await theirs.SearchConversationsAsync(new SearchConversationsRequest { Query = w })).Conversations.Select(c => c.Id));

        await client.SendAsync(mineConversation.Id, SenderType.Customer, $"{w} again");
        var page = await client.SearchMessagesAsync(new SearchMessagesRequest { Query = w, PageSize = 1 });
        await FailsOnField("page_token", () => theirs.SearchMessagesAsync(new SearchMessagesRequest { Query = w, PageSize = 1, PageToken = page.NextPageToken }).ResponseAsync);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"unclosed")]
    [InlineData("a OR b")]
    [InlineData("(a b)")]
    [InlineData("-only")]
    [InlineData("x*y")]
    [InlineData("a*")]
    [InlineData("***")]
    [InlineData("\"\"")]
    [InlineData("NEAR(a b)")]
    [InlineData("a\0b")]
    public async Task MalformedQueriesAreInvalidArgumentOnQuery(string query)
    {
        var bad = await FailsOnField("query", () => client.SearchMessagesAsync(new SearchMessagesRequest { Query = query }).ResponseAsync);
        Assert.DoesNotContain(bad.FieldViolations, v => v.Description.Contains("fts5", StringComparison.OrdinalIgnoreCase) || v.Description.Contains("syntax error", StringComparison.OrdinalIgnoreCase));
        await FailsOnField("query", () => client.SearchConversationsAsync(new SearchConversationsRequest { Query = query }).ResponseAsync);
    }

    [Fact]
    public async Task EngineSyntaxInCallerTextIsJustText()
    {
        var w = Unique();
        var c = await client.CreateAsync();
        var id = (await client.SendAsync(c.Id, SenderType.Customer, $"{w} content: a^b {{x}} 'quoted' !! & | <-> :*")).Message.Id;
        foreach (var query in new[] { $"{w} content:", $"{w} a^b", $"{w} {{x}}", $"{w} 'quoted'", $"{w} !!x", $"{w} a&b|c", $"{w} a<->b", $"{w} 'x':", $"{w} or and not near" })
        {
            var hits = await client.SearchMessagesAsync(new SearchMessagesRequest { Query = query });   // never INTERNAL
            Assert.All(hits.Hits, h => Assert.Equal(id, h.MessageId));
        }
        Assert.Single((await client.SearchMessagesAsync(new SearchMessagesRequest { Query = $"{w} 'quoted'" })).Hits);
    }

    [Fact]
    public async Task SearchConversationsMatchesSubjectTagsOrMessages()
    {
        var w = Unique();
        var agent = NewId();
        var bySubject = await client.CreateAsync(agentId: agent, subject: $"{w} broken screen");
        var byTag = await client.CreateAsync(agentId: agent, tags: [$"{w}", "screen"]);
        var byMessage = await client.CreateAsync(agentId: agent);
        await client.SendAsync(byMessage.Id, SenderType.Customer, $"my {w} screen cracked");
        var neither = await client.CreateAsync(agentId: agent, subject: $"{w} keyboard");

        async Task<string[]> Found(SearchConversationsRequest request)
        {
            var all = new List<string>();
            var token = "";
            do
            {
                request.PageToken = token;
                var page = await client.SearchConversationsAsync(request);
                all.AddRange(page.Conversations.Select(c => c.Id));
                token = page.NextPageToken;
            }
            while (token.Length > 0);
            return [.. all];
        }

        // Most recent activity first, one per page, each once.
        Assert.Equal([byMessage.Id, byTag.Id, bySubject.Id], await Found(new() { Query = $"{w} screen", PageSize = 1 }));
        Assert.Equal([neither.Id], await Found(new() { Query = $"{w} -screen", AgentId = agent }));
        Assert.Equal([bySubject.Id], await Found(new() { Query = $"\"{w} broken\"" }));

        // An update of the subject reaches the index in the same write.
        await client.UpdateConversationAsync(new UpdateConversationRequest { Conversation = new Conversation { Id = neither.Id, Subject = $"{w} screen now" } });
        Assert.Contains(neither.Id, await Found(new() { Query = $"{w} screen", AgentId = agent }));
        Assert.DoesNotContain(neither.Id, await Found(new() { Query = $"{w} keyboard", AgentId = agent }));

        // So does a change of the tags; a message, which rewrites the conversation's row but not its subject
        // or tags, leaves both findable as they are.
        await client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = byTag.Id, Tags = { "display" } },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "tags" } },
        });
        await client.SendAsync(neither.Id, SenderType.Customer, "still there?");
        Assert.Equal([neither.Id, byMessage.Id, bySubject.Id], await Found(new() { Query = $"{w} screen", AgentId = agent }));
        Assert.Equal([byTag.Id], await Found(new() { Query = "display", AgentId = agent }));
    }

    [Fact]
    public async Task ConcurrentWritersLeaveEveryMessageFindableExactlyOnce()
    {
        var w = Unique();
        var conversations = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.CreateAsync()));
        using var stop = new CancellationTokenSource();
        var searcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await client.SearchMessagesAsync(new SearchMessagesRequest { Query = $"{w} concurrent*", PageSize = 20 });
            }
        });
        var written = await Task.WhenAll(conversations.Select(c => Task.Run(async () =>
        {
            var ids = new List<string>();
            for (var i = 0; i < 50; i++)
            {
                ids.Add((await client.SendAsync(c.Id, SenderType.Customer, $"{w} concurrent write {i}")).Message.Id);
            }
            return ids;
        })));
        await stop.CancelAsync();
        await searcher;

        var found = (await SearchAllAsync(new SearchMessagesRequest { Query = $"{w} concurrent", PageSize = 64 })).Select(h => h.MessageId).ToList();
        Assert.Equal(400, found.Count);
        Assert.Equal(written.SelectMany(x => x).Order(), found.Order());
    }

    private async Task<List<MessageHit>> SearchAllAsync(SearchMessagesRequest request)
    {
        var all = new List<MessageHit>();
        var token = "";
        do
        {
            request.PageToken = token;
            var page = await client.SearchMessagesAsync(request);
            all.AddRange(page.Hits);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    /// <summary>A word of 12 random letters, found only where a test wrote it.</summary>
    private static string Unique() => string.Concat(Enumerable.Range(0, 12).Select(_ => (char)('a' + Random.Shared.Next(26))));
}
