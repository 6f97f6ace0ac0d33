using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using Xunit.Abstractions;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Feeds;

/// <summary>A server that gives up on a stalled subscriber after 2 s instead of 30 s.</summary>
public sealed class StallServer() : TimelyServer(clock: null, new Dictionary<string, string?>
{
    ["Feeds:StalledSubscriberTimeout"] = StalledSubscriberTests.Stall.ToString(),
});

/// <summary>Subscribers that never read while 2,000 maximum-size messages are written: one live from the start, one
/// that catches up from the start halfway through. The server holds at most a batch of Feeds:MaxBatchBytes for each
/// (never the 256 messages of a batch bounded only in items: 25 MiB measured with Feeds:MaxBatchBytes at its maximum), ends each with
/// RESOURCE_EXHAUSTED once a write waited Feeds:StalledSubscriberTimeout for it, and a client that resumes from the
/// last position it received gets the rest exactly once, in order. Measures the process's managed memory, so it
/// runs alone (the collection of <see cref="SlowSubscriberTests"/>).</summary>
[Collection(nameof(SlowSubscriberTests))]
public sealed class StalledSubscriberTests(StallServer server, ITestOutputHelper output) : IClassFixture<StallServer>
{
    private const int Total = 2000;

    public static readonly TimeSpan Stall = TimeSpan.FromSeconds(2);

    /// <summary>What the two stalled subscribers may hold together, and the test's own client buffers for them:
    /// per subscriber a batch of 1 MiB (its text in UTF-16: ~0.7 MiB for these messages) and its group's latest shared read,
    /// plus the stream's transport buffers (Kestrel's 64 KiB response buffer and one message, the client's 64 KiB
    /// window), with room for what the store's connections keep.</summary>
    private const long HeldBound = 10L * 1024 * 1024;

    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task StalledStreamMessagesSubscribersAreEndedWithResourceExhaustedAndResumeWithoutLoss()
    {
        var conversation = await client.CreateAsync();
        await StalledSubscribersAreBoundedEndedAndResume(
            conversation.Id,
            (c, after, ct) => c.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, AfterSequence = after is null ? 0 : long.Parse(after) }, cancellationToken: ct),
            r => (r.Message.Sequence, r.Message.Sequence.ToString()),
            "call StreamMessages again with after_sequence set to the sequence of the last message received",
            fromStart: () => Task.FromResult<string?>("0"));
    }

    [Fact]
    public async Task StalledWatchConversationsSubscribersAreEndedWithResourceExhaustedAndResumeWithoutLoss()
    {
        var conversation = await client.CreateAsync();
        // The log's present before the first message: the catching-up watcher starts there.
        string? start;
        using (var probe = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, IncludeUpdates = true }))
        {
            start = (await probe.ResponseHeadersAsync).GetValue("timely-update-cursor");
        }
        await StalledSubscribersAreBoundedEndedAndResume(
            conversation.Id,
            (c, after, ct) => c.WatchConversations(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = after ?? "" }, cancellationToken: ct),
            r => (r.Event.Type == ConversationEventType.MessageAdded ? r.Event.Message.Sequence : null, r.Event.Cursor),
            "call WatchConversations again with after_cursor set to the cursor of the last event received",
            fromStart: () => Task.FromResult(start));
    }

    private async Task StalledSubscribersAreBoundedEndedAndResume<TResponse>(
        string conversationId,
        Func<ConversationService.ConversationServiceClient, string?, CancellationToken, AsyncServerStreamingCall<TResponse>> open,
        Func<TResponse, (long? Sequence, string Position)> item,
        string resumeHint,
        Func<Task<string?>> fromStart)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var phases = new List<string>();
        void Phase(string name) => phases.Add($"{name} {clock.Elapsed.TotalSeconds:0.0}s");
        // Each stalled subscriber on its own connection, so that its full HTTP/2 window blocks nobody else.
        using var liveChannel = server.NewChannel();
        using var catchUpChannel = server.NewChannel();
        await WarmUpAsync(timeout.Token);
        Phase("warm");
        using var live = open(server.ClientWith(server.AdminKey, liveChannel), null, timeout.Token);
        await live.ResponseHeadersAsync;   // subscribed: it sees every message from here on, and reads none
        var baseline = GC.GetTotalMemory(forceFullCollection: true);

        await WriteLargestAsync(conversationId, 0, Total / 2, timeout.Token);
        using var catchUp = open(server.ClientWith(server.AdminKey, catchUpChannel), await fromStart(), timeout.Token);
        await catchUp.ResponseHeadersAsync;   // its first read is done: it holds a batch of the 1,000 messages behind it
        var stalledSince = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(200, timeout.Token);   // and has written what its transport takes
        var held = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        Phase("half");
        await WriteLargestAsync(conversationId, Total / 2, Total, timeout.Token);
        Phase("written");
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversationId }, cancellationToken: timeout.Token);

        // Each client reads again once the server gave up on it (2 s after its last write began waiting), both at once.
        await Task.Delay(Stall + TimeSpan.FromSeconds(1) - stalledSince.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero, timeout.Token);
        await Task.WhenAll(new[] { live, catchUp }.Select(call => Task.Run(async () =>
        {
            // What the transport held before the server gave up, then the status.
            var received = new List<(long? Sequence, string Position)>();
            var ended = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await call.ResponseStream.MoveNext(timeout.Token))
                {
                    received.Add(item(call.ResponseStream.Current));
                }
            });
            Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
            Assert.Contains(resumeHint, ended.Status.Detail);
            Assert.Equal("SUBSCRIBER_STALLED", ended.ErrorInfo()?.Reason);
            var before = received.Where(r => r.Sequence is not null).Select(r => r.Sequence!.Value).ToList();
            Assert.True(before.Count < Total, $"a stalled subscriber received {before.Count} messages");

            // It resumes from the last position it received and gets the rest exactly once, in order.
            using var resumed = open(client, received.Count > 0 ? received[^1].Position : await fromStart(), timeout.Token);
            var rest = new List<long>();
            while (rest.Count + before.Count < Total && await resumed.ResponseStream.MoveNext(timeout.Token))
            {
                if (item(resumed.ResponseStream.Current).Sequence is { } sequence)
                {
                    rest.Add(sequence);
                }
            }
            Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), before.Concat(rest));
        }, timeout.Token)));
        Phase("resumed");

        var released = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var figures = $"{typeof(TResponse).Name}: two stalled subscribers held {held / 1024.0 / 1024:0.00} MiB of managed memory " +
            $"(bound {HeldBound / 1024 / 1024} MiB); {released / 1024.0 / 1024:0.00} MiB once ended and resumed";
        output.WriteLine(figures + "; " + string.Join(", ", phases));
        Figures.Write(figures);
        Assert.True(held < HeldBound, figures);
    }

    /// <summary>Runs what the measured part runs (writes and both streams, of the largest messages), so that the server's
    /// buffer pools and caches have grown to their working size before the baseline is taken.</summary>
    private async Task WarmUpAsync(CancellationToken ct)
    {
        var scratch = await client.CreateAsync();
        using var watch = client.WatchConversations(new WatchConversationsRequest { ConversationId = scratch.Id }, cancellationToken: ct);
        await watch.ResponseHeadersAsync;
        var watching = Task.Run(async () =>   // read as the messages come: a watcher that waits for them would stall
        {
            while (await watch.ResponseStream.MoveNext(ct) && watch.ResponseStream.Current.Event.Type != ConversationEventType.StatusChanged)
            {
            }
        }, ct);
        await WriteLargestAsync(scratch.Id, 0, 40, ct);
        await client.CloseConversationAsync(new CloseConversationRequest { Id = scratch.Id }, cancellationToken: ct);
        await watching;
        using var stream = client.StreamMessages(new StreamMessagesRequest { ConversationId = scratch.Id }, cancellationToken: ct);
        while (await stream.ResponseStream.MoveNext(ct))
        {
        }
    }

    /// <summary>Messages <paramref name="from"/> + 1 to <paramref name="to"/>, of the largest size accepted, by eight writers (SQLite commits theirs together).</summary>
    private async Task WriteLargestAsync(string conversationId, int from, int to, CancellationToken ct)
    {
        var next = from;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= to)
            {
                await client.SendMessageAsync(LargestMessage(conversationId), cancellationToken: ct);
            }
        }, ct)));
    }

    /// <summary>32 KB of content and 32 metadata values of 1,024 characters, each 3 bytes in UTF-8: ~130 KB encoded.</summary>
    private static SendMessageRequest LargestMessage(string conversationId)
    {
        var request = new SendMessageRequest
        {
            ConversationId = conversationId, SenderType = SenderType.Customer, Content = new string('€', 32 * 1024 / 3),
        };
        for (var i = 0; i < 32; i++)
        {
            request.Metadata[$"key-{i}".PadRight(64, 'k')] = new string('€', 1024);
        }
        return request;
    }
}
