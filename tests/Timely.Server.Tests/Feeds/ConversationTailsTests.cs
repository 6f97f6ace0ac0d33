using Timely.Conversations.V1;
using Timely.Server.Feeds;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

/// <summary>Subscribers of one conversation share reads of its tail, but never a read older than the
/// change that woke them.</summary>
public sealed class ConversationTailsTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;
    private readonly ConversationTails tails = server.GetService<ConversationTails>();
    private readonly ChangeSignals signals = server.GetService<ChangeSignals>();

    [Fact]
    public async Task FollowersWokenByTheSameChangeShareOneRead()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "hello");
        using var first = tails.Follow("default", Guid.Parse(conversation.Id));
        using var second = tails.Follow("default", Guid.Parse(conversation.Id));
        var woken = signals.Tick();

        var a = first.ReadAsync(0, 10, woken, CancellationToken.None);
        var b = second.ReadAsync(0, 10, woken, CancellationToken.None);

        Assert.Same(await a, await b);
        Assert.Equal(["hello"], (await a).Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task AReadThatStartedBeforeAWakeUpIsNotShared()
    {
        var conversation = await client.CreateAsync();
        using var follower = tails.Follow("default", Guid.Parse(conversation.Id));
        var before = await follower.ReadAsync(0, 10, signals.Tick(), CancellationToken.None);
        Assert.Empty(before.Messages);

        await client.SendAsync(conversation.Id, SenderType.Customer, "new");   // its wake-up takes a later tick
        var after = await follower.ReadAsync(0, 10, signals.Tick(), CancellationToken.None);

        Assert.NotSame(before, after);
        Assert.Equal(["new"], after.Messages.Select(m => m.Content));
        Assert.Equal(1, after.Conversation!.LastSequence);
    }

    [Fact]
    public async Task ReadsOfOtherPositionsAreNotShared()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "one");
        await client.SendAsync(conversation.Id, SenderType.Customer, "two");
        using var follower = tails.Follow("default", Guid.Parse(conversation.Id));
        var woken = signals.Tick();

        var fromStart = await follower.ReadAsync(0, 10, woken, CancellationToken.None);
        var fromOne = await follower.ReadAsync(1, 10, woken, CancellationToken.None);

        Assert.Equal(["one", "two"], fromStart.Messages.Select(m => m.Content));
        Assert.Equal(["two"], fromOne.Messages.Select(m => m.Content));
    }
}
