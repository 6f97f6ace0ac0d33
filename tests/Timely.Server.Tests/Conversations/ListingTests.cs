using Google.Protobuf.WellKnownTypes;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>Paging through 1,200 conversations under each filter returns every match exactly once.</summary>
public sealed class ListingTests(ListingTests.Dataset data) : IClassFixture<ListingTests.Dataset>
{
    private ConversationService.ConversationServiceClient Client => data.Server.Client;

    /// <summary>1,200 conversations of one agent across 3 channels, 50 contacts, tags, every status, and messages on some.</summary>
    public sealed class Dataset : IAsyncLifetime, IDisposable
    {
        public TimelyServer Server { get; } = new();
        public string Agent { get; } = NewId();
        public string[] Channels { get; } = [NewId(), NewId(), NewId()];
        public string[] Contacts { get; } = Enumerable.Range(0, 50).Select(_ => NewId()).ToArray();
        public string[] Humans { get; } = [NewId(), NewId()];
        public List<Conversation> All { get; private set; } = [];

        public async Task InitializeAsync()
        {
            var client = Server.Client;
            var created = new Conversation[1200];
            // 4 concurrent creators: faster, and interleaves created_at between them.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = w; i < created.Length; i += 4)
                {
                    var tags = i % 3 == 0 ? new[] { "vip", $"batch-{i % 7}" } : [$"batch-{i % 7}"];
                    var c = await client.CreateAsync(Agent, Channels[i % 3], Contacts[i % 50], $"Conversation {i}", tags);
                    c = (i % 5) switch
                    {
                        1 => (await client.SendAsync(c.Id, SenderType.Customer, $"message {i}")).Conversation,
                        2 => (await client.HandoffConversationAsync(new HandoffConversationRequest { Id = c.Id, AssignedTo = Humans[i % 2] })).Conversation,
                        3 => (await client.CloseConversationAsync(new CloseConversationRequest { Id = c.Id })).Conversation,
                        _ => c,
                    };
                    created[i] = c;
                }
            })));
            All = [.. created];
        }

        public Task DisposeAsync() => Task.CompletedTask;

        public void Dispose() => Server.Dispose();
    }

    public static TheoryData<string> Filters => new()
    {
        "agent", "agent+status", "agent+statuses", "channel", "contact", "assigned_to", "tag", "created_range", "last_message_range",
        "channel+tag+status", "agent_by_created",
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task PagingReturnsEveryMatchExactlyOnce(string filter)
    {
        var request = new ListConversationsRequest { AgentId = data.Agent, PageSize = 37 };
        Func<Conversation, bool> matches = _ => true;
        var all = data.All;
        var boundary = all.Select(c => c.CreatedAt.ToDateTimeOffset()).Order().ElementAt(400);
        var messaged = all.Where(c => c.LastMessageAt is not null).Select(c => c.LastMessageAt.ToDateTimeOffset()).Order().ToList();
        switch (filter)
        {
            case "agent":
                break;
            case "agent+status":
                request.Statuses.Add(ConversationStatus.Closed);
                matches = c => c.Status == ConversationStatus.Closed;
                break;
            case "agent+statuses":
                request.Statuses.Add(ConversationStatus.Open);
                request.Statuses.Add(ConversationStatus.Human);
                matches = c => c.Status is ConversationStatus.Open or ConversationStatus.Human;
                break;
            case "channel":
                request.AgentId = "";
                request.ChannelId = data.Channels[1];
                matches = c => c.ChannelId == data.Channels[1];
                break;
            case "contact":
                request.AgentId = "";
                request.ContactId = data.Contacts[7];
                matches = c => c.ContactId == data.Contacts[7];
                break;
            case "assigned_to":
                request.AssignedTo = data.Humans[0];
                matches = c => c.AssignedTo == data.Humans[0];
                break;
            case "tag":
                request.Tag = "vip";
                matches = c => c.Tags.Contains("vip");
                break;
            case "created_range":
                request.CreatedAfter = Timestamp.FromDateTimeOffset(boundary);
                matches = c => c.CreatedAt.ToDateTimeOffset() >= boundary;
                break;
            case "last_message_range":
                var (from, before) = (messaged[20], messaged[200]);
                request.LastMessageAfter = Timestamp.FromDateTimeOffset(from);
                request.LastMessageBefore = Timestamp.FromDateTimeOffset(before);
                matches = c => c.LastMessageAt is not null && c.LastMessageAt.ToDateTimeOffset() >= from && c.LastMessageAt.ToDateTimeOffset() < before;
                break;
            case "channel+tag+status":
                request.ChannelId = data.Channels[0];
                request.Tag = "batch-3";
                request.Statuses.Add(ConversationStatus.Open);
                matches = c => c.ChannelId == data.Channels[0] && c.Tags.Contains("batch-3") && c.Status == ConversationStatus.Open;
                break;
            case "agent_by_created":
                request.OrderBy = ConversationOrder.CreatedAtDesc;
                break;
        }

        var pages = await AllPages(request);
        var seen = pages.SelectMany(p => p).ToList();
        var expected = all.Where(matches).Select(c => c.Id).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, seen.Count);                       // no duplicate
        Assert.Equal(expected, seen.Select(c => c.Id).Order().ToList()); // no miss
        Assert.All(pages.SkipLast(1), p => Assert.Equal(37, p.Count));
        AssertOrdered(seen, request.OrderBy);
    }

    [Fact]
    public async Task DefaultOrderIsMostRecentActivityFirst()
    {
        var first = await Client.ListConversationsAsync(new ListConversationsRequest { AgentId = data.Agent, PageSize = 500 });
        Assert.Equal(500, first.Conversations.Count);
        AssertOrdered([.. first.Conversations], ConversationOrder.Unspecified);
    }

    [Fact]
    public async Task PageSizeDefaultsToFiftyAndIsCappedAtFiveHundred()
    {
        Assert.Equal(50, (await Client.ListConversationsAsync(new ListConversationsRequest { AgentId = data.Agent })).Conversations.Count);
        Assert.Equal(500, (await Client.ListConversationsAsync(new ListConversationsRequest { AgentId = data.Agent, PageSize = 10_000 })).Conversations.Count);
    }

    [Fact]
    public async Task TokenReusedWithOtherFiltersIsRefused()
    {
        var page = await Client.ListConversationsAsync(new ListConversationsRequest { AgentId = data.Agent, PageSize = 10 });
        await FailsOnField("page_token", () => Client.ListConversationsAsync(new ListConversationsRequest
        {
            AgentId = data.Agent, PageSize = 10, PageToken = page.NextPageToken, Tag = "vip",
        }).ResponseAsync);
        await FailsOnField("page_token", () => Client.ListConversationsAsync(new ListConversationsRequest
        {
            AgentId = data.Agent, PageToken = page.NextPageToken, OrderBy = ConversationOrder.CreatedAtDesc,
        }).ResponseAsync);
        // A different page size with the same filters is fine.
        var next = await Client.ListConversationsAsync(new ListConversationsRequest { AgentId = data.Agent, PageSize = 20, PageToken = page.NextPageToken });
        Assert.Equal(20, next.Conversations.Count);
    }

    [Fact]
    public async Task GarbageOrTamperedTokenIsRefused()
    {
        var page = await Client.ListConversationsAsync(new ListConversationsRequest { AgentId = data.Agent, PageSize = 10 });
        var token = page.NextPageToken;
        var tampered = (token[3] == 'A' ? "B" : "A") is var c ? token[..3] + c + token[4..] : token;
        foreach (var bad in new[] { "garbage", "!!!", tampered, token + "A", token[..^2] })
        {
            await FailsOnField("page_token", () => Client.ListConversationsAsync(new ListConversationsRequest
            {
                AgentId = data.Agent, PageSize = 10, PageToken = bad,
            }).ResponseAsync);
        }
    }

    [Fact]
    public async Task ListMessagesPagesInSequenceOrder()
    {
        var conversation = await Client.CreateAsync();
        for (var i = 0; i < 25; i++)
        {
            await Client.SendAsync(conversation.Id, SenderType.Customer, $"m{i}");
        }
        var seen = new List<long>();
        var token = "";
        do
        {
            var page = await Client.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversation.Id, PageSize = 7, PageToken = token });
            seen.AddRange(page.Messages.Select(m => m.Sequence));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), seen);

        // A token of one conversation does not page another.
        var other = await Client.CreateAsync();
        var first = await Client.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversation.Id, PageSize = 7 });
        await FailsOnField("page_token", () => Client.ListMessagesAsync(new ListMessagesRequest
        {
            ConversationId = other.Id, PageToken = first.NextPageToken,
        }).ResponseAsync);
    }

    private async Task<List<List<Conversation>>> AllPages(ListConversationsRequest request)
    {
        var pages = new List<List<Conversation>>();
        for (var guard = 0; guard < 200; guard++)
        {
            var page = await Client.ListConversationsAsync(request);
            pages.Add([.. page.Conversations]);
            if (page.NextPageToken.Length == 0)
            {
                return pages;
            }
            request = request.Clone();
            request.PageToken = page.NextPageToken;
        }
        throw new Xunit.Sdk.XunitException("paging did not end");
    }

    private static void AssertOrdered(List<Conversation> seen, ConversationOrder order)
    {
        static DateTimeOffset Activity(Conversation c) => (c.LastMessageAt ?? c.CreatedAt).ToDateTimeOffset();
        for (var i = 1; i < seen.Count; i++)
        {
            var (a, b) = order == ConversationOrder.CreatedAtDesc
                ? (seen[i - 1].CreatedAt.ToDateTimeOffset(), seen[i].CreatedAt.ToDateTimeOffset())
                : (Activity(seen[i - 1]), Activity(seen[i]));
            Assert.True(a > b || (a == b && string.CompareOrdinal(seen[i - 1].Id, seen[i].Id) > 0), $"not ordered at {i}");
        }
    }
}
