using Google.Rpc;
using Grpc.Core;
using Timely.Conversations.V1;

namespace Timely.Server.Tests.Infrastructure;

/// <summary>Small helpers shared by the tests: fresh ids, common calls, and reading rich errors.</summary>
public static class Fixtures
{
    public static string NewId() => Guid.NewGuid().ToString();

    public static async Task<Conversation> CreateAsync(
        this ConversationService.ConversationServiceClient client, string? agentId = null, string? channelId = null,
        string? contactId = null, string subject = "", params string[] tags)
    {
        var request = new CreateConversationRequest
        {
            AgentId = agentId ?? NewId(),
            ChannelId = channelId ?? NewId(),
            ContactId = contactId ?? NewId(),
            Subject = subject,
        };
        request.Tags.AddRange(tags);
        return (await client.CreateConversationAsync(request)).Conversation;
    }

    public static async Task<SendMessageResponse> SendAsync(
        this ConversationService.ConversationServiceClient client, string conversationId, SenderType sender, string content = "hello",
        string senderId = "")
    {
        return await client.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversationId,
            SenderType = sender,
            SenderId = senderId,
            Content = content,
        });
    }

    public static async Task<Conversation> GetAsync(this ConversationService.ConversationServiceClient client, string id) =>
        (await client.GetConversationAsync(new GetConversationRequest { Id = id })).Conversation;

    /// <summary>Every message of a conversation, through all pages.</summary>
    public static async Task<List<Message>> AllMessagesAsync(this ConversationService.ConversationServiceClient client, string conversationId)
    {
        var all = new List<Message>();
        var token = "";
        do
        {
            var page = await client.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversationId, PageSize = 500, PageToken = token });
            all.AddRange(page.Messages);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    public static async Task<RpcException> FailsWith(StatusCode code, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(code == error.StatusCode, $"expected {code}, got {error.StatusCode}: {error.Status.Detail}");
        return error;
    }

    /// <summary>Asserts INVALID_ARGUMENT with a google.rpc.BadRequest naming <paramref name="field"/>.</summary>
    public static async Task<BadRequest> FailsOnField(string field, Func<Task> call)
    {
        var error = await FailsWith(StatusCode.InvalidArgument, call);
        var badRequest = error.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        Assert.Contains(badRequest.FieldViolations, v => v.Field == field);
        return badRequest;
    }

    public static ErrorInfo? ErrorInfo(this RpcException error) => error.GetRpcStatus()?.GetDetail<ErrorInfo>();

    /// <summary>Polls <paramref name="condition"/> until it holds, for at most <paramref name="seconds"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
