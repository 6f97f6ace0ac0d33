using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Storage;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

public sealed class RetentionTests(ClockedServer server) : IClassFixture<ClockedServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task CursorPastRetentionIsOutOfRangeAndAFreshOneWorks()
    {
        var agent = NewId();
        var conversation = await client.CreateAsync(agentId: agent);
        await client.SendAsync(conversation.Id, SenderType.Customer, "old news");
        var old = await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = "" }, trigger: () =>
            client.SendAsync(conversation.Id, SenderType.Customer, "still old"));
        await client.SendAsync(conversation.Id, SenderType.Customer, "after the cursor, before retention");

        server.Clock!.Advance(TimeSpan.FromDays(8));
        await server.GetService<EventLog>().PruneAsync(server.Clock.GetUtcNow() - TimeSpan.FromDays(7), CancellationToken.None);
        await client.SendAsync(conversation.Id, SenderType.Customer, "new");

        var error = await FailsWith(StatusCode.OutOfRange, async () =>
        {
            using var call = client.WatchConversations(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = old.Cursor });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Contains("retention", error.Status.Detail);

        // Listing again and watching from the present works.
        var fresh = await FirstEvent(new WatchConversationsRequest { ConversationId = conversation.Id }, trigger: () =>
            client.SendAsync(conversation.Id, SenderType.AiAgent, "fresh"));
        Assert.Equal("fresh", fresh.Message.Content);
    }

    [Fact]
    public async Task MessagesOutliveEventRetention()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "kept");
        server.Clock!.Advance(TimeSpan.FromDays(30));
        await server.GetService<EventLog>().PruneAsync(server.Clock.GetUtcNow() - TimeSpan.FromDays(7), CancellationToken.None);
        Assert.Equal("kept", (await client.AllMessagesAsync(conversation.Id)).Single().Content);
    }

    /// <summary>Opens the watch, keeps triggering until an event arrives, returns the first one.</summary>
    private async Task<ConversationEvent> FirstEvent(WatchConversationsRequest request, Func<Task> trigger)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = client.WatchConversations(request, cancellationToken: timeout.Token);
        var next = call.ResponseStream.MoveNext(timeout.Token);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await trigger();
            if (await Task.WhenAny(next, Task.Delay(100, timeout.Token)) == next)
            {
                Assert.True(await next);
                return call.ResponseStream.Current.Event;
            }
        }
        throw new Xunit.Sdk.XunitException("no event arrived");
    }
}
