using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>Waiting after 15 minutes without a customer reply to an agent, closed after 24 hours.</summary>
public sealed class InactivityTests(ClockedServer server) : IClassFixture<ClockedServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task OpenConversationBecomesWaitingThenClosedWithoutCustomerReply()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "Where is my order?");
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "It ships tomorrow. Anything else?");

        await Sweep(TimeSpan.FromMinutes(14));
        Assert.Equal(ConversationStatus.Open, (await client.GetAsync(conversation.Id)).Status);

        await Sweep(TimeSpan.FromMinutes(2));
        Assert.Equal(ConversationStatus.Waiting, (await client.GetAsync(conversation.Id)).Status);

        await Sweep(TimeSpan.FromHours(23));
        Assert.Equal(ConversationStatus.Waiting, (await client.GetAsync(conversation.Id)).Status);

        await Sweep(TimeSpan.FromHours(1));
        var closed = await client.GetAsync(conversation.Id);
        Assert.Equal(ConversationStatus.Closed, closed.Status);
        Assert.NotNull(closed.ClosedAt);
    }

    [Fact]
    public async Task CustomerReplyWakesWaitingConversation()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "Hi! How can I help?");
        await Sweep(TimeSpan.FromMinutes(16));
        Assert.Equal(ConversationStatus.Waiting, (await client.GetAsync(conversation.Id)).Status);

        var reply = await client.SendAsync(conversation.Id, SenderType.Customer, "I need a refund");
        Assert.Equal(ConversationStatus.Open, reply.Conversation.Status);

        // The clock restarts from the customer's message: nothing happens while the agent has not answered.
        await Sweep(TimeSpan.FromDays(2));
        Assert.Equal(ConversationStatus.Open, (await client.GetAsync(conversation.Id)).Status);
    }

    [Fact]
    public async Task HumanConversationsAndConversationsWithoutMessagesNeverGoWaiting()
    {
        var quiet = await client.CreateAsync();
        var handedOff = await client.CreateAsync();
        await client.SendAsync(handedOff.Id, SenderType.HumanAgent, "Ana here", NewId());

        await Sweep(TimeSpan.FromDays(3));
        Assert.Equal(ConversationStatus.Open, (await client.GetAsync(quiet.Id)).Status);
        Assert.Equal(ConversationStatus.Human, (await client.GetAsync(handedOff.Id)).Status);
    }

    [Fact]
    public async Task SweeperRunsOnItsInterval()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "Anything else?");
        server.Clock!.Advance(TimeSpan.FromDays(1));   // one tick of the sweeper's timer
        await Eventually(async () => (await client.GetAsync(conversation.Id)).Status != ConversationStatus.Open, "the timed sweep");
    }

    [Fact]
    public async Task ConcurrentSweepsChangeEachConversationOnce()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.AiAgent, "Anything else?");
        server.Clock!.Advance(TimeSpan.FromMinutes(16));
        var sweeper = server.GetService<Inactivity.InactivitySweeper>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => sweeper.SweepOnceAsync(CancellationToken.None))));

        var after = await client.GetAsync(conversation.Id);
        Assert.Equal(ConversationStatus.Waiting, after.Status);
        // Created, message, one status change: the etag (version) moved exactly three times.
        Assert.Equal("3", after.Etag);
    }

    private async Task Sweep(TimeSpan advance)
    {
        server.Clock!.Advance(advance);
        await server.GetService<Inactivity.InactivitySweeper>().SweepOnceAsync(CancellationToken.None);
    }
}
