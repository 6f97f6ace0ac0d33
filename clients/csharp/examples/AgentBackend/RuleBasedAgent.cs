using Timely.Client;
using Timely.Conversations.V1;

namespace AgentBackend;

/// <summary>An AI agent in a few dozen lines: it watches its agent's open conversations, answers each
/// customer message by simple rules, hands off to a human when asked, and stays silent while a human
/// owns the conversation (the watch shows only open ones, and the service refuses an AI message in a
/// human conversation anyway).</summary>
public sealed class RuleBasedAgent(TimelyClient timely, string agentId, string humanId)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var openConversations = new WatchConversationsRequest { AgentId = agentId, Statuses = { ConversationStatus.Open } };
        await foreach (var e in timely.WatchConversationsAsync(openConversations, ct))
        {
            if (e.Type != ConversationEventType.MessageAdded
                || e.Message.SenderType != SenderType.Customer
                || e.Conversation.Status != ConversationStatus.Open)
            {
                continue;
            }
            if (WantsAHuman(e.Message.Content))
            {
                await Say(e.Conversation.Id, "Of course, I'm bringing in a colleague from our team.", ct);
                await timely.HandoffConversationAsync(
                    new HandoffConversationRequest { Id = e.Conversation.Id, AssignedTo = humanId }, cancellationToken: ct);
            }
            else
            {
                await Say(e.Conversation.Id, Reply(e.Message.Content), ct);
            }
        }
    }

    public static bool WantsAHuman(string text) =>
        new[] { "human", "person", "agent", "someone real" }.Any(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));

    public static string Reply(string text) => text.ToLowerInvariant() switch
    {
        var t when t.Contains("refund") => "I can help with a refund. Could you give me your order number?",
        var t when t.Contains("order") => "Let me look up your order. What is its number?",
        var t when t.Contains("thank") => "You're welcome! Anything else I can do?",
        _ => "Thanks for your message! How can I help you today?",
    };

    private Task Say(string conversationId, string content, CancellationToken ct) =>
        timely.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversationId, SenderType = SenderType.AiAgent, Content = content,
        }, cancellationToken: ct).ResponseAsync;
}
