using Google.Rpc;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Auth;

/// <summary>A key created for one human agent writes and takes over conversations only as that agent.</summary>
public sealed class AgentKeyTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    [Fact]
    public async Task AKeyBoundToAHumanAgentWritesAndTakesOverOnlyAsThatAgent()
    {
        var agent = Guid.NewGuid();
        var (secret, _) = await server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Write, agent);
        var bound = server.ClientWith(secret);
        var conversation = await server.Client.CreateAsync();

        // As that agent: explicitly, or with the id left empty.
        var handed = await bound.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = "" });
        Assert.Equal(agent.ToString(), handed.Conversation.AssignedTo);
        var sent = await bound.SendAsync(conversation.Id, SenderType.HumanAgent, "hello, I'm taking over");
        Assert.Equal(agent.ToString(), sent.Message.SenderId);
        await bound.SendAsync(conversation.Id, SenderType.HumanAgent, "still me", senderId: agent.ToString());

        var someoneElse = NewId();
        await Refused(() => bound.SendAsync(conversation.Id, SenderType.HumanAgent, "impersonation", senderId: someoneElse));
        await Refused(() => bound.SendAsync(conversation.Id, SenderType.AiAgent, "as the AI"));
        await Refused(() => bound.SendAsync(conversation.Id, SenderType.Customer, "as the customer"));
        await Refused(() => bound.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = someoneElse }).ResponseAsync);
        await Refused(() => bound.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = "as a customer",
        }).ResponseAsync);

        // Nothing refused was written; an unbound key still writes as anyone.
        Assert.Equal(2, (await server.Client.AllMessagesAsync(conversation.Id)).Count);
        await server.Client.SendAsync(conversation.Id, SenderType.HumanAgent, "a colleague", senderId: someoneElse);
    }

    private static async Task Refused(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(AgentBinding.Reason, error.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
    }
}
