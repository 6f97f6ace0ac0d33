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

/// <summary>Subscribers that never read while 2,000 maximum-size messages are written: of each feed (StreamMessages and
/// WatchConversations), one live from the start and one that catches up from the start halfway through, all four over
/// the same writes. The server holds at most a batch of Feeds:MaxBatchBytes for each (never the 256 messages of a batch
/// bounded only in items: 25 MiB measured for two with Feeds:MaxBatchBytes at its maximum), ends each with
/// RESOURCE_EXHAUSTED once a write waited Feeds:StalledSubscriberTimeout for it, and a client that resumes from the
/// last position it received gets the rest exactly once, in order. Measures the process's managed memory, so it
/// runs alone (the collection of <see cref="SlowSubscriberTests"/>).</summary>
[Collection(nameof(SlowSubscriberTests))]
public sealed class StalledSubscriberTests(StallServer server, ITestOutputHelper output) : IClassFixture<StallServer>
{
    private const int Total = 2000;

    public static readonly TimeSpan Stall = TimeSpan.FromSeconds(2);

    /// <summary>What one stalled subscriber may hold, and the test's own client buffers for it: a batch of 1 MiB (its
    /// text in UTF-16: ~0.7 MiB for these messages) and its group's latest shared read, plus the stream's transport
    /// buffers (Kestrel's 64 KiB response buffer and one message, the client's 64 KiB window), with room for what the
    /// store's connections keep.</summary>
    private const long HeldBoundEach = 5L * 1024 * 1024;

    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task StalledSubscribersOfBothFeedsAreEndedWithResourceExhaustedAndResumeWithoutLoss()
    {
        var conversation = await client.CreateAsync();
        // The log's present before the first message: the catching-up watcher starts there.
        string? watchStart;
        using (var probe = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, IncludeUpdates = true }))
        {
            watchStart = (await probe.ResponseHeadersAsync).GetValue("timely-update-cursor");
        }
        var feeds = new Feed[]
        {
            new((c, after, ct) => Read(
                    c.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, AfterSequence = after is null ? 0 : long.Parse(after) }, cancellationToken: ct),
                    r => (r.Message.Sequence, r.Message.Sequence.ToString())),
                "call StreamMessages again with after_sequence set to the sequence of the last message received",
                Start: "0"),
            new((c, after, ct) => Read(
                    c.WatchConversations(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = after ?? "" }, cancellationToken: ct),
                    r => (r.Event.Type == ConversationEventType.MessageAdded ? r.Event.Message.Sequence : null, r.Event.Cursor)),
                "call WatchConversations again with after_cursor set to the cursor of the last event received",
                Start: watchStart),
        };

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var phases = new List<string>();
        void Phase(string name) => phases.Add($"{name} {clock.Elapsed.TotalSeconds:0.0}s");
        // Each stalled subscriber on its own connection, so that its full HTTP/2 window blocks nobody else.
        var channels = Enumerable.Range(0, 2 * feeds.Length).Select(_ => server.NewChannel()).ToList();
        var stalled = new List<(Feed Feed, FeedCall Call, ConversationService.ConversationServiceClient Client)>();
        try
        {
            await WarmUpAsync(timeout.Token);
            Phase("warm");
            foreach (var feed in feeds)
            {
                var own = server.ClientWith(server.AdminKey, channels[stalled.Count]);
                var live = feed.Open(own, null, timeout.Token);
                stalled.Add((feed, live, own));
                await live.Headers;   // subscribed: it sees every message from here on, and reads none
            }
            var baseline = GC.GetTotalMemory(forceFullCollection: true);

            await WriteLargestAsync(conversation.Id, 0, Total / 2, timeout.Token);
            foreach (var feed in feeds)
            {
                var own = server.ClientWith(server.AdminKey, channels[stalled.Count]);
                var catchUp = feed.Open(own, feed.Start, timeout.Token);
                stalled.Add((feed, catchUp, own));
                await catchUp.Headers;   // its first read is done: it holds a batch of the 1,000 messages behind it
            }
            var stalledSince = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(200, timeout.Token);   // and has written what its transport takes
            var held = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            Phase("half");
            await WriteLargestAsync(conversation.Id, Total / 2, Total, timeout.Token);
            Phase("written");
            await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id }, cancellationToken: timeout.Token);

            // Each client reads again once the server gave up on it (2 s after its last write began waiting), all at once.
            await Task.Delay(Stall + TimeSpan.FromSeconds(1) - stalledSince.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero, timeout.Token);
            await Task.WhenAll(stalled.Select(s => Task.Run(() => EndedAndResumedAsync(s.Feed, s.Call, s.Client, timeout.Token), timeout.Token)));
            Phase("resumed");

            var released = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            var bound = HeldBoundEach * stalled.Count;
            var figures = $"{stalled.Count} stalled subscribers (StreamMessages and WatchConversations, live and catching up) held " +
                $"{held / 1024.0 / 1024:0.00} MiB of managed memory (bound {bound / 1024 / 1024} MiB); {released / 1024.0 / 1024:0.00} MiB once ended and resumed";
            output.WriteLine(figures + "; " + string.Join(", ", phases));
            Figures.Write(figures);
            Assert.True(held < bound, figures);
        }
        finally
        {
            stalled.ForEach(s => s.Call.Dispose());
            channels.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Reads what the transport held before the server gave up, checks the status, then resumes from the last
    /// position received, on the same connection (as the SDKs do), and checks the rest comes exactly once, in order. (A
    /// write the server gave up on that completed after its call ended once broke the connection's next stream.)</summary>
    private async Task EndedAndResumedAsync(Feed feed, FeedCall stream, ConversationService.ConversationServiceClient own, CancellationToken ct)
    {
        var received = new List<(long? Sequence, string Position)>();
        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stream.MoveNext(ct))
            {
                received.Add(stream.Current());
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        Assert.Contains(feed.ResumeHint, ended.Status.Detail);
        Assert.Equal("SUBSCRIBER_STALLED", ended.ErrorInfo()?.Reason);
        var before = received.Where(r => r.Sequence is not null).Select(r => r.Sequence!.Value).ToList();
        Assert.True(before.Count < Total, $"a stalled subscriber received {before.Count} messages");
        stream.Dispose();   // as the SDKs do once a call ended

        using var resumed = feed.Open(own, received.Count > 0 ? received[^1].Position : feed.Start, ct);
        var rest = new List<long>();
        while (rest.Count + before.Count < Total && await resumed.MoveNext(ct))
        {
            if (resumed.Current().Sequence is { } sequence)
            {
                rest.Add(sequence);
            }
        }
        Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), before.Concat(rest));
    }

    /// <summary>A feed: how to open it after a position (null: live from now), the hint its RESOURCE_EXHAUSTED gives, and
    /// the position before the conversation's first message.</summary>
    private sealed record Feed(
        Func<ConversationService.ConversationServiceClient, string?, CancellationToken, FeedCall> Open, string ResumeHint, string? Start);

    /// <summary>An open feed, whatever its response type: each item as (the message's sequence, if it is one; its position).</summary>
    private sealed record FeedCall(IDisposable Call, Task Headers, Func<CancellationToken, Task<bool>> MoveNext, Func<(long? Sequence, string Position)> Current) : IDisposable
    {
        public void Dispose() => Call.Dispose();
    }

    private static FeedCall Read<TResponse>(AsyncServerStreamingCall<TResponse> call, Func<TResponse, (long? Sequence, string Position)> item) =>
        new(call, call.ResponseHeadersAsync, call.ResponseStream.MoveNext, () => item(call.ResponseStream.Current));

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
