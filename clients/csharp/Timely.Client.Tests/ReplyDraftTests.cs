using System.Runtime.CompilerServices;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

/// <summary>The SDK streams a reply draft from an async sequence of chunks against the real server, and
/// its live stream shows the deltas, the message they become, and the agent's activity.</summary>
public sealed class ReplyDraftTests(SdkServer server) : IClassFixture<SdkServer>
{
    private static async IAsyncEnumerable<string> Model(IEnumerable<string> tokens, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var token in tokens)
        {
            await Task.Delay(5, ct);
            yield return token;
        }
    }

    [Fact]
    public async Task DraftFromAnAsyncSequenceBecomesOneMessageAndLiveSubscribersSeeItGrow()
    {
        using var timely = server.NewClient();
        var conversation = (await timely.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        })).Conversation;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var live = timely.StreamLiveAsync(conversation.Id, ct: timeout.Token).GetAsyncEnumerator(timeout.Token);
        var first = live.MoveNextAsync().AsTask();   // subscribes
        await timely.SetActivityAsync(new SetActivityRequest { ConversationId = conversation.Id, Kind = AgentActivityKind.Typing });
        Assert.True(await first);
        Assert.Equal(AgentActivityKind.Typing, live.Current.Activity.Kind);

        var tokens = new[] { "Sure", ", your ", "refund ", "is on ", "its way." };
        var sent = await timely.SendReplyDraftAsync(conversation.Id, Model(tokens), ct: timeout.Token);
        Assert.Equal(string.Concat(tokens), sent.Message.Content);
        Assert.Equal(1, sent.Message.Sequence);

        var draft = "";
        Message? message = null;
        var sawDraftBeforeMessage = false;
        while (await live.MoveNextAsync())
        {
            var item = live.Current;
            if (item.ReplyDraft is { State: ReplyDraftState.Delta } delta)
            {
                draft = delta.Offset == 0 ? delta.Text : draft + delta.Text;
                sawDraftBeforeMessage = message is null;
            }
            if (item.Message is not null)
            {
                message = item.Message;
            }
            if (item.ReplyDraft is { State: ReplyDraftState.Committed })
            {
                break;
            }
        }
        Assert.True(sawDraftBeforeMessage);
        Assert.Equal(string.Concat(tokens), draft);
        Assert.Equal(sent.Message, message);
        await live.DisposeAsync();

        // A retry with the same start (and so the same request id) writes nothing new.
        var start = new ReplyDraftStart { RequestId = Guid.NewGuid().ToString() };
        var once = await timely.SendReplyDraftAsync(conversation.Id, Model(["again"]), start, timeout.Token);
        var twice = await timely.SendReplyDraftAsync(conversation.Id, Model(["again"]), start, timeout.Token);
        Assert.Equal(once.Message, twice.Message);
        Assert.Equal(2, twice.Conversation.LastSequence);
    }

    [Fact]
    public async Task DraftEndedByTheServerThrowsItsStatus()
    {
        using var timely = server.NewClient();
        var conversation = (await timely.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        })).Conversation;
        async IAsyncEnumerable<string> HandedOffMidway()
        {
            yield return "Let me";
            await timely.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = Guid.NewGuid().ToString() });
            await Task.Delay(300);
            yield return " check";
        }
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => timely.SendReplyDraftAsync(conversation.Id, HandedOffMidway()));
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, error.StatusCode);
    }
}
