using Grpc.Core;
using Timely.Conversations.V1;
using RetentionSweeper = Timely.Server.DataLifecycle.RetentionSweeper;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.DataLifecycle;

/// <summary>"Closed conversations are erased N days after closing", per workspace, on a fake clock.</summary>
public sealed class RetentionTests(ClockedServer server) : IClassFixture<ClockedServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task RetentionErasesExactlyTheConversationsClosedLongerAgoThanThePolicy()
    {
        var data = server.Data();
        var sweeper = server.GetService<RetentionSweeper>();
        var policy = (await data.GetRetentionPolicyAsync(new GetRetentionPolicyRequest())).Policy;
        Assert.Equal(0, policy.ClosedConversationDays);   // off by default

        var agent = NewId();
        var old = await Closed(agent, "closed first");
        server.Clock!.Advance(TimeSpan.FromDays(1));
        var recent = await Closed(agent, "closed a day later");
        var open = await client.CreateAsync(agentId: agent);
        await client.SendAsync(open.Id, SenderType.Customer, "still open");

        // Off: nothing is erased however old.
        server.Clock.Advance(TimeSpan.FromDays(1.5));
        await sweeper.SweepOnceAsync(CancellationToken.None);
        Assert.Equal(3, (await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent })).Conversations.Count);

        var set = await data.UpdateRetentionPolicyAsync(new UpdateRetentionPolicyRequest { Policy = new RetentionPolicy { ClosedConversationDays = 2 } });
        Assert.Equal(2, set.Policy.ClosedConversationDays);
        Assert.NotNull(set.Policy.UpdateTime);
        Assert.Equal(2, (await data.GetRetentionPolicyAsync(new GetRetentionPolicyRequest())).Policy.ClosedConversationDays);

        // Two and a half days after the first close, one and a half after the second: only the first is past two days.
        await sweeper.SweepOnceAsync(CancellationToken.None);
        await Eventually(async () => (await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent })).Conversations.Count == 2,
            "the retention erasure");
        await FailsWith(StatusCode.NotFound, () => client.GetConversationAsync(new GetConversationRequest { Id = old.Id }).ResponseAsync);
        Assert.Equal(ConversationStatus.Closed, (await client.GetAsync(recent.Id)).Status);
        Assert.Equal(ConversationStatus.Open, (await client.GetAsync(open.Id)).Status);

        var erasure = (await data.ListErasuresAsync(new ListErasuresRequest())).Erasures.First(e => e.Reason == ErasureReason.Retention);
        erasure = await server.FinishedAsync(erasure.Id);
        Assert.Equal("retention", erasure.RequestedBy);
        Assert.Equal(1, erasure.ConversationsErased);
        Assert.Equal(1, erasure.MessagesErased);

        // Half a day more and the second one goes too; the open one stays however old.
        server.Clock.Advance(TimeSpan.FromDays(0.5) + TimeSpan.FromMinutes(1));
        await sweeper.SweepOnceAsync(CancellationToken.None);
        await Eventually(async () => (await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent })).Conversations.Count == 1,
            "the second retention erasure");
        Assert.Equal(open.Id, (await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent })).Conversations.Single().Id);

        await data.UpdateRetentionPolicyAsync(new UpdateRetentionPolicyRequest { Policy = new RetentionPolicy { ClosedConversationDays = 0 } });
    }

    [Fact]
    public async Task BadPoliciesAreRefusedNamingTheField()
    {
        var data = server.Data();
        await FailsOnField("policy.closed_conversation_days", () =>
            data.UpdateRetentionPolicyAsync(new UpdateRetentionPolicyRequest { Policy = new RetentionPolicy { ClosedConversationDays = -1 } }).ResponseAsync);
        await FailsOnField("policy.closed_conversation_days", () =>
            data.UpdateRetentionPolicyAsync(new UpdateRetentionPolicyRequest { Policy = new RetentionPolicy { ClosedConversationDays = 40_000 } }).ResponseAsync);
        await FailsOnField("policy", () => data.UpdateRetentionPolicyAsync(new UpdateRetentionPolicyRequest()).ResponseAsync);
    }

    private async Task<Conversation> Closed(string agent, string text)
    {
        var conversation = await client.CreateAsync(agentId: agent);
        await client.SendAsync(conversation.Id, SenderType.Customer, text);
        return (await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id })).Conversation;
    }
}
