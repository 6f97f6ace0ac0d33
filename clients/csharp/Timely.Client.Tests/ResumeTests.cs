using Google.Protobuf.WellKnownTypes;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

/// <summary>Streams that outlive the server process: killed mid-stream, restarted on the same port and
/// database, and every item still arrives exactly once.</summary>
public sealed class ResumeTests : IDisposable
{
    private readonly SdkServer server = new();

    [Fact]
    public async Task UnaryCallsBridgeAThreeSecondOutage()
    {
        using var timely = server.NewClient();
        await timely.ListConversationsAsync(new ListConversationsRequest());   // connected
        for (var outage = 0; outage < 2; outage++)
        {
            server.Process.Kill();
            var restart = Task.Run(async () =>
            {
                await Task.Delay(3000);
                await server.Process.StartAsync();
            });
            // Made while the server is down: each waits for it instead of failing with UNAVAILABLE.
            var created = await timely.CreateConversationAsync(new CreateConversationRequest
            {
                AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
            });
            Assert.NotEmpty(created.Conversation.Id);
            await restart;
        }
    }

    [Fact]
    public async Task OnSubscribedTellsWhenAWatchIsLiveAcrossARestart()
    {
        using var timely = server.NewClient();
        var agent = Guid.NewGuid().ToString();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var subscriptions = System.Threading.Channels.Channel.CreateUnbounded<bool>();
        var events = timely.WatchConversationsAsync(new WatchConversationsRequest { AgentId = agent },
            () => subscriptions.Writer.TryWrite(true), timeout.Token).GetAsyncEnumerator(timeout.Token);
        var next = events.MoveNextAsync().AsTask();

        // Written once the hook ran, not after a sleep: the watch (from the present) sees it.
        await subscriptions.Reader.ReadAsync(timeout.Token);
        var first = await timely.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = agent, ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        });
        Assert.True(await next);
        Assert.Equal(first.Conversation.Id, events.Current.Conversation.Id);

        // After a restart the hook runs again when the watch is back.
        server.Process.Kill();
        next = events.MoveNextAsync().AsTask();
        await server.Process.StartAsync();
        await subscriptions.Reader.ReadAsync(timeout.Token);
        var second = await timely.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = agent, ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        });
        Assert.True(await next);
        Assert.Equal(second.Conversation.Id, events.Current.Conversation.Id);
        await events.DisposeAsync();
    }

    [Fact]
    public async Task StreamsSurviveAServerKilledAndRestartedMidStream()
    {
        using var timely = server.NewClient();
        var agent = Guid.NewGuid().ToString();
        var conversation = (await timely.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = agent, ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        })).Conversation;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var messages = Collect(timely.StreamMessagesAsync(conversation.Id, 0, timeout.Token), m => m.Sequence, 100);
        var events = timely.WatchConversationsAsync(new WatchConversationsRequest { ConversationId = conversation.Id }, timeout.Token).GetAsyncEnumerator(timeout.Token);
        // A watch without a cursor starts at the present: touch the conversation until the watch sees it,
        // so that it is live before the first message.
        var firstEvent = events.MoveNextAsync().AsTask();
        for (var attempt = 0; await Task.WhenAny(firstEvent, Task.Delay(100, timeout.Token)) != firstEvent; attempt++)
        {
            Assert.True(attempt < 100, "the watch never became live");
            await timely.UpdateConversationAsync(new UpdateConversationRequest
            {
                Conversation = new Conversation { Id = conversation.Id, Subject = $"probe {attempt}" },
                UpdateMask = new FieldMask { Paths = { "subject" } },
            });
        }
        Assert.True(await firstEvent);
        await Send(timely, conversation.Id, 1, 50);

        server.Process.Kill();
        await server.Process.StartAsync();

        await Send(timely, conversation.Id, 51, 100);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), await messages);

        // The watch, live before the first message, saw every message once: it resumed by cursor.
        var sequences = new List<long>();
        while (sequences.Count < 100 && await events.MoveNextAsync())
        {
            if (events.Current.Type == ConversationEventType.MessageAdded)
            {
                sequences.Add(events.Current.Message.Sequence);
            }
        }
        await events.DisposeAsync();
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), sequences);
    }

    public void Dispose() => server.Dispose();

    private static async Task Send(TimelyClient timely, string conversationId, int from, int to)
    {
        for (var i = from; i <= to; i++)
        {
            await timely.SendMessageAsync(new SendMessageRequest { ConversationId = conversationId, SenderType = SenderType.Customer, Content = $"m{i}" });
        }
    }

    private static async Task<List<long>> Collect<T>(IAsyncEnumerable<T> items, Func<T, long> key, int count)
    {
        var seen = new List<long>();
        await foreach (var item in items)
        {
            seen.Add(key(item));
            if (seen.Count == count)
            {
                break;
            }
        }
        return seen;
    }
}
