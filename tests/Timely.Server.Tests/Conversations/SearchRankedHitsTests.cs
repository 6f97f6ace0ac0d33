using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>Storage:SearchRankedHits bounds what a very common query costs: only the newest that many
/// matches are ranked and returned (by SearchMessages) or looked at (by SearchConversations); a narrower
/// query still finds older messages. On both stores.</summary>
public sealed class SearchRankedHitsTests : IDisposable
{
    private readonly RankingCappedServer server = new();

    [Fact]
    public async Task ACommonQueryReturnsItsNewestMatchesAndANarrowerOneFindsOlderOnes()
    {
        var word = string.Concat(Enumerable.Range(0, 12).Select(_ => (char)('a' + Random.Shared.Next(26))));
        var conversation = await server.Client.CreateAsync();
        // Other messages, so that the word is not in most of the index (SQLite's bm25 gives a word in more
        // than half of all rows an inverse document frequency of almost 0, and every hit the same score).
        var other = await server.Client.CreateAsync();
        for (var i = 0; i < 30; i++)
        {
            await server.Client.SendAsync(other.Id, SenderType.Customer, $"something else {i}");
        }
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var text = i == 0 ? $"{word} the oldest, about a parcel" : $"{word} message {i}" + string.Concat(Enumerable.Repeat($" {word}", i % 3));
            ids.Add((await server.Client.SendAsync(conversation.Id, SenderType.Customer, text)).Message.Id);
        }

        var hits = new List<MessageHit>();
        var token = "";
        do
        {
            var page = await server.Client.SearchMessagesAsync(new SearchMessagesRequest { Query = word, PageSize = 2, PageToken = token });
            hits.AddRange(page.Hits);
            token = page.NextPageToken;
        }
        while (token != "");
        Assert.Equal(ids.TakeLast(5).Order(), hits.Select(h => h.MessageId).Order());
        Assert.Equal(hits.OrderByDescending(h => h.Message.Content.Split(' ').Count(t => t == word)).Select(h => h.Message.Content.Split(' ').Count(t => t == word)),
            hits.Select(h => h.Message.Content.Split(' ').Count(t => t == word)));   // ranked by relevance within them

        var narrow = await server.Client.SearchMessagesAsync(new SearchMessagesRequest { Query = $"{word} parcel" });
        Assert.Equal(ids[0], Assert.Single(narrow.Hits).MessageId);
    }

    [Fact]
    public async Task SearchConversationsLooksAtTheNewestMatchesOfTheFilteredConversationsAndEverySubject()
    {
        var word = string.Concat(Enumerable.Range(0, 12).Select(_ => (char)('a' + Random.Shared.Next(26))));
        var agent = NewId();
        var otherAgent = NewId();
        // Oldest first: another agent's conversation, one whose subject holds the word, then eight of the agent's.
        var otherAgents = await server.Client.CreateAsync(agentId: otherAgent);
        await server.Client.SendAsync(otherAgents.Id, SenderType.Customer, $"{word} from the other agent");
        var bySubject = await server.Client.CreateAsync(agentId: agent, subject: $"about {word}");
        await server.Client.SendAsync(bySubject.Id, SenderType.Customer, "nothing to find here");
        var byMessage = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var conversation = await server.Client.CreateAsync(agentId: agent);
            await server.Client.SendAsync(conversation.Id, SenderType.Customer, $"{word} number {i}");
            byMessage.Add(conversation.Id);
        }

        async Task<List<string>> SearchAsync(string? agentId)
        {
            var found = new List<string>();
            var token = "";
            do
            {
                var page = await server.Client.SearchConversationsAsync(new SearchConversationsRequest { Query = word, AgentId = agentId ?? "", PageSize = 2, PageToken = token });
                found.AddRange(page.Conversations.Select(c => c.Id));
                token = page.NextPageToken;
            }
            while (token != "");
            return found;
        }

        // The conversations of the newest 5 matching messages, and the subject's, whatever its age; newest activity first.
        Assert.Equal([.. byMessage.TakeLast(5).Reverse(), bySubject.Id], await SearchAsync(agentId: null));
        // A filter reaches the older matches of the conversations it keeps.
        Assert.Equal([otherAgents.Id], await SearchAsync(otherAgent));
    }

    public void Dispose() => server.Dispose();

    private sealed class RankingCappedServer() : TimelyServer(clock: null, new Dictionary<string, string?> { ["Storage:SearchRankedHits"] = "5" });
}
