using Grpc.Core;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

/// <summary>A stream resumes after a stall (RESOURCE_EXHAUSTED with the reason SUBSCRIBER_STALLED, in the SDK
/// scenarios), but not after any RESOURCE_EXHAUSTED: a stream refused for the key's quota of streams is thrown.</summary>
public sealed class StreamQuotaTests
{
    [Fact]
    public async Task AStreamOverTheQuotaOfStreamsIsThrownNotResumed()
    {
        using var server = new SdkServer(new Dictionary<string, string> { ["Limits:MaxStreamsPerKey"] = "1" });
        using var timely = server.NewClient();
        var created = await timely.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var subscribed = new TaskCompletionSource();
        await using var first = timely.StreamMessagesAsync(created.Conversation.Id, 0, () => subscribed.TrySetResult(), timeout.Token)
            .GetAsyncEnumerator(timeout.Token);
        var firstNext = first.MoveNextAsync();   // holds the key's one stream
        await subscribed.Task.WaitAsync(timeout.Token);

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in timely.StreamMessagesAsync(created.Conversation.Id, 0, timeout.Token))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.False(timeout.IsCancellationRequested);
        await timeout.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await firstNext);
    }
}
