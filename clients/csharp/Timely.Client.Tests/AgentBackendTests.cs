using AgentBackend;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

public sealed class AgentBackendTests(SdkServer server) : IClassFixture<SdkServer>
{
    [Fact]
    public async Task TheSampleAnswersCustomersHandsOffOnRequestAndStaysSilentAfterwards()
    {
        using var timely = server.NewClient();
        var (agent, human, channel, contact) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var backend = Task.Run(() => new RuleBasedAgent(timely, agent, human).RunAsync(stop.Token));

        // The backend's watch starts at the present: ingest until it has answered (bounded).
        IngestCustomerMessageResponse first;
        var attempts = 0;
        do
        {
            first = await Ingest(timely, channel, contact, agent, "Where is my order?");
            await Task.Delay(200);
        }
        while (await LastSender(timely, first.Conversation.Id) != SenderType.AiAgent && ++attempts < 50);
        var messages = await Messages(timely, first.Conversation.Id);
        Assert.Equal("Let me look up your order. What is its number?", messages[^1].Content);

        await Ingest(timely, channel, contact, agent, "I want to talk to a human");
        await Eventually(async () => (await timely.GetConversationAsync(new GetConversationRequest { Id = first.Conversation.Id })).Conversation.Status == ConversationStatus.Human);
        var conversation = (await timely.GetConversationAsync(new GetConversationRequest { Id = first.Conversation.Id })).Conversation;
        Assert.Equal(human, conversation.AssignedTo);
        var afterHandoff = conversation.LastSequence;

        await Ingest(timely, channel, contact, agent, "Hello? Is anyone there? I have an order question");
        await Task.Delay(1500);
        var final = await Messages(timely, first.Conversation.Id);
        Assert.Equal(afterHandoff + 1, final.Count);   // only the customer's message: the AI stayed silent
        Assert.Equal(SenderType.Customer, final[^1].SenderType);

        stop.Cancel();
        var ended = await Record.ExceptionAsync(() => backend);
        Assert.True(ended is OperationCanceledException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled }, $"ended with {ended}");
    }

    private static Task<IngestCustomerMessageResponse> Ingest(TimelyClient timely, string channel, string contact, string agent, string text) =>
        timely.IngestCustomerMessageAsync(new IngestCustomerMessageRequest { ChannelId = channel, ContactId = contact, AgentId = agent, Content = text }).ResponseAsync;

    private static async Task<List<Message>> Messages(TimelyClient timely, string conversationId) =>
        [.. (await timely.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversationId, PageSize = 500 })).Messages];

    private static async Task<SenderType> LastSender(TimelyClient timely, string conversationId) =>
        (await Messages(timely, conversationId))[^1].SenderType;

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(100);
        }
        Assert.True(await condition());
    }
}
