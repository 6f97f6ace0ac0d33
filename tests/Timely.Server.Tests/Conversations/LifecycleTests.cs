using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>Every status x every action, against the lifecycle documented in DESIGN.md, stated here
/// independently of the server's transition table.</summary>
public sealed class LifecycleTests(ClockedServer server) : IClassFixture<ClockedServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    public enum Action { Handoff, Resume, Close, AiMessage, HumanMessage, CustomerMessage, SystemMessage }

    private const ConversationStatus Open = ConversationStatus.Open;
    private const ConversationStatus Human = ConversationStatus.Human;
    private const ConversationStatus Closed = ConversationStatus.Closed;
    private const ConversationStatus Waiting = ConversationStatus.Waiting;

    /// <summary>(from, action, status after, or the refusal reason).</summary>
    public static TheoryData<ConversationStatus, Action, ConversationStatus?, string?> Matrix => new()
    {
        { Open, Action.Handoff, Human, null },
        { Open, Action.Resume, null, "TRANSITION_NOT_ALLOWED" },
        { Open, Action.Close, Closed, null },
        { Open, Action.AiMessage, Open, null },
        { Open, Action.HumanMessage, Human, null },
        { Open, Action.CustomerMessage, Open, null },
        { Open, Action.SystemMessage, Open, null },

        { Waiting, Action.Handoff, Human, null },
        { Waiting, Action.Resume, null, "TRANSITION_NOT_ALLOWED" },
        { Waiting, Action.Close, Closed, null },
        { Waiting, Action.AiMessage, Waiting, null },
        { Waiting, Action.HumanMessage, Human, null },
        { Waiting, Action.CustomerMessage, Open, null },
        { Waiting, Action.SystemMessage, Waiting, null },

        { Human, Action.Handoff, null, "TRANSITION_NOT_ALLOWED" },
        { Human, Action.Resume, Open, null },
        { Human, Action.Close, Closed, null },
        { Human, Action.AiMessage, null, "HUMAN_OWNS_CONVERSATION" },
        { Human, Action.HumanMessage, Human, null },
        { Human, Action.CustomerMessage, Human, null },
        { Human, Action.SystemMessage, Human, null },

        { Closed, Action.Handoff, null, "CONVERSATION_CLOSED" },
        { Closed, Action.Resume, null, "CONVERSATION_CLOSED" },
        { Closed, Action.Close, null, "CONVERSATION_CLOSED" },
        { Closed, Action.AiMessage, null, "CONVERSATION_CLOSED" },
        { Closed, Action.HumanMessage, null, "CONVERSATION_CLOSED" },
        { Closed, Action.CustomerMessage, null, "CONVERSATION_CLOSED" },
        { Closed, Action.SystemMessage, null, "CONVERSATION_CLOSED" },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task EveryTransitionIsAllowedOrRefusedAsDocumented(ConversationStatus from, Action action, ConversationStatus? to, string? refusal)
    {
        var before = await ConversationIn(from);
        var human = NewId();

        if (to is { } expected)
        {
            var after = await Do(action, before, human);
            Assert.Equal(expected, after.Status);
            Assert.Equal(expected == Human ? (from == Human ? before.AssignedTo : human) : "", after.AssignedTo);
            Assert.Equal(expected == Closed, after.ClosedAt is not null);
            Assert.NotEqual(before.Etag, after.Etag);
        }
        else
        {
            var error = await FailsWith(StatusCode.FailedPrecondition, () => Do(action, before, human));
            var info = error.ErrorInfo();
            Assert.NotNull(info);
            Assert.Equal(refusal, info.Reason);
            Assert.Equal("timely.conversations.v1", info.Domain);
            Assert.Equal(from.ToString().ToLowerInvariant(), info.Metadata["status"]);
            // Refused means nothing written.
            var unchanged = await client.GetAsync(before.Id);
            Assert.Equal(before.Etag, unchanged.Etag);
            Assert.Equal(before.LastSequence, unchanged.LastSequence);
        }
    }

    [Fact]
    public async Task HandoffRequiresAssignee()
    {
        var conversation = await client.CreateAsync();
        await FailsOnField("assigned_to", () => client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id }).ResponseAsync);
        Assert.Equal(Open, (await client.GetAsync(conversation.Id)).Status);
    }

    [Fact]
    public async Task HumanMessageTakesOverAndRecordsTheHuman()
    {
        var conversation = await client.CreateAsync();
        var human = NewId();
        var sent = await client.SendAsync(conversation.Id, SenderType.HumanAgent, "I'm Ana, I'll help you", human);
        Assert.Equal(Human, sent.Conversation.Status);
        Assert.Equal(human, sent.Conversation.AssignedTo);
        Assert.Equal(human, sent.Message.SenderId);

        // A second human writing does not steal the conversation.
        await client.SendAsync(conversation.Id, SenderType.HumanAgent, "also here", NewId());
        Assert.Equal(human, (await client.GetAsync(conversation.Id)).AssignedTo);
    }

    [Fact]
    public async Task ResumeClearsAssigneeAndCloseSetsClosedAt()
    {
        var conversation = await client.CreateAsync();
        var handedOff = (await client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId() })).Conversation;
        var resumed = (await client.ResumeConversationAsync(new ResumeConversationRequest { Id = conversation.Id, Etag = handedOff.Etag })).Conversation;
        Assert.Equal(Open, resumed.Status);
        Assert.Equal("", resumed.AssignedTo);
        var closed = (await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id })).Conversation;
        Assert.Equal(Closed, closed.Status);
        Assert.Equal(server.Clock!.GetUtcNow(), closed.ClosedAt.ToDateTimeOffset());
    }

    private async Task<Conversation> ConversationIn(ConversationStatus status)
    {
        var conversation = await client.CreateAsync();
        switch (status)
        {
            case Human:
                return (await client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId() })).Conversation;
            case Closed:
                return (await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id })).Conversation;
            case Waiting:
                await client.SendAsync(conversation.Id, SenderType.AiAgent, "Anything else I can help with?");
                server.Clock!.Advance(TimeSpan.FromMinutes(16));
                await server.GetService<Inactivity.InactivitySweeper>().SweepOnceAsync(CancellationToken.None);
                var waiting = await client.GetAsync(conversation.Id);
                Assert.Equal(Waiting, waiting.Status);
                return waiting;
            default:
                return conversation;
        }
    }

    private async Task<Conversation> Do(Action action, Conversation c, string human) => action switch
    {
        Action.Handoff => (await client.HandoffConversationAsync(new HandoffConversationRequest { Id = c.Id, AssignedTo = human })).Conversation,
        Action.Resume => (await client.ResumeConversationAsync(new ResumeConversationRequest { Id = c.Id })).Conversation,
        Action.Close => (await client.CloseConversationAsync(new CloseConversationRequest { Id = c.Id })).Conversation,
        Action.AiMessage => (await client.SendAsync(c.Id, SenderType.AiAgent)).Conversation,
        Action.HumanMessage => (await client.SendAsync(c.Id, SenderType.HumanAgent, senderId: human)).Conversation,
        Action.CustomerMessage => (await client.SendAsync(c.Id, SenderType.Customer)).Conversation,
        Action.SystemMessage => (await client.SendAsync(c.Id, SenderType.System)).Conversation,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}
