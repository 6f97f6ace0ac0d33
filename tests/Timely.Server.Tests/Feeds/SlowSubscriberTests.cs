using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

/// <summary>Measures the process's managed memory, so it runs alone.</summary>
[CollectionDefinition(nameof(SlowSubscriberTests), DisableParallelization = true)]
public sealed class SlowSubscriberCollection;

/// <summary>A server that waits 10 minutes for a stalled subscriber (30 s by default), so that writing the backlog
/// takes as long as it takes on a loaded machine: <see cref="StalledSubscriberTests"/> covers giving up.</summary>
public sealed class PatientServer() : TimelyServer(clock: null, new Dictionary<string, string?>
{
    ["Feeds:StalledSubscriberTimeout"] = "00:10:00",
});

[Collection(nameof(SlowSubscriberTests))]
public sealed class SlowSubscriberTests(PatientServer server) : IClassFixture<PatientServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task SubscriberThatNeverReadsDoesNotBlockWritersNorGrowServerMemory()
    {
        var conversation = await client.CreateAsync();
        using var stalledChannel = server.NewChannel();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var stalled = server.ClientWith(server.AdminKey, stalledChannel)
            .StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);
        await client.SendAsync(conversation.Id, SenderType.Customer, "hello");
        Assert.True(await stalled.ResponseStream.MoveNext(timeout.Token));   // live, then it stops reading

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        const int count = 3000;
        var content = new string('x', 16 * 1024);   // 3000 x 16 KiB = 47 MiB written past the stalled reader
        var sent = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>   // eight writers, as a busy conversation has
        {
            while (Interlocked.Increment(ref sent) <= count)
            {
                await client.SendMessageAsync(new SendMessageRequest
                {
                    ConversationId = conversation.Id, SenderType = SenderType.AiAgent, Content = content,
                }, cancellationToken: timeout.Token);
            }
        }, timeout.Token)));
        var grown = GC.GetTotalMemory(forceFullCollection: true) - baseline;

        // Buffering the backlog would hold >= 94 MiB of strings; the server holds at most one batch.
        Assert.True(grown < 40L * 1024 * 1024, $"managed memory grew by {grown / 1024 / 1024} MiB");

        // The reader that comes back before the server gives up on it catches up from the store, in order, with nothing lost.
        var next = 2L;
        while (next <= count + 1 && await stalled.ResponseStream.MoveNext(timeout.Token))
        {
            Assert.Equal(next++, stalled.ResponseStream.Current.Message.Sequence);
        }
        Assert.Equal(count + 2, next);
    }
}
