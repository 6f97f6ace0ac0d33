using System.Diagnostics;
using Grpc.Core;
using Timely.Conversations.V1;

namespace Timely.Bench;

/// <summary>Which live feed the subscribers use.</summary>
public enum Feed
{
    /// <summary>StreamMessages of the conversation.</summary>
    StreamMessages,

    /// <summary>WatchConversations with the conversation's agent as filter (MESSAGE_ADDED events).</summary>
    WatchConversations,
}

/// <summary>Time from a SendMessage returning to each subscriber of the conversation receiving the
/// message, over many messages sent one after another.</summary>
public static class FanOutLatency
{
    /// <param name="ServerCpu">CPU the server spent per delivered message (its SendMessage calls included), in
    /// microseconds, while the messages were sent and delivered; null without a meter.</param>
    /// <param name="ClientCpu">The same of this process: the writer and every subscriber's gRPC client.</param>
    public sealed record Result(Feed Feed, int Subscribers, int Messages, int Samples, Percentiles FromReturn, Percentiles FromCall, int Early,
        double? ServerCpu = null, double? ClientCpu = null);

    public sealed record Percentiles(double P50, double P99, double Max);

    /// <summary>With <paramref name="measureCpu"/>, also the CPU of the server and of this process (the client) per delivered
    /// message, from /proc, over the messages sent (not the subscribing or the warm-up).</summary>
    public static Task<Result> RunAsync(ServerUnderTest server, Feed feed, int subscribers, int messages, bool measureCpu = false) =>
        RunAsync(server, server, feed, subscribers, messages, measureCpu ? new UsageMeter([server.ProcessId], postmasterPid: null) : null);

    /// <summary>Writes through <paramref name="writeTo"/> and subscribes on <paramref name="readFrom"/>: two replicas on
    /// one PostgreSQL database measure the delivery across replicas (LISTEN/NOTIFY).</summary>
    public static async Task<Result> RunAsync(
        ServerUnderTest writeTo, ServerUnderTest readFrom, Feed feed, int subscribers, int messages, UsageMeter? cpu = null)
    {
        var writer = writeTo.NewClient();
        var readers = readFrom.NewClient();
        var conversation = (await writer.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        })).Conversation;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        // received[s][i]: when subscriber s got message i+2 (message 1 is the warm-up).
        var received = Enumerable.Range(0, subscribers).Select(_ => new long[messages]).ToArray();
        var live = new CountdownEvent(subscribers);
        var calls = Enumerable.Range(0, subscribers).Select(_ => Subscribe(readers, feed, conversation, timeout.Token)).ToList();
        // A watch starts at the present: it is live once its headers arrive (a stream replays message 1 anyway).
        await Task.WhenAll(calls.Select(c => c.Live));
        var reading = calls.Select((call, s) => Task.Run(async () =>
        {
            await foreach (var sequence in call.Sequences)
            {
                var now = Stopwatch.GetTimestamp();
                if (sequence == 1)
                {
                    live.Signal();
                }
                else
                {
                    received[s][sequence - 2] = now;
                }
                if (sequence == messages + 1)
                {
                    return;
                }
            }
        })).ToList();

        await Send(writer, conversation.Id, "warm-up");
        if (!live.Wait(TimeSpan.FromMinutes(2)))
        {
            throw new TimeoutException("not every subscriber went live");
        }

        var (called, sent) = (new long[messages], new long[messages]);
        var cpuBefore = cpu?.Take();
        for (var i = 0; i < messages; i++)
        {
            called[i] = Stopwatch.GetTimestamp();
            await Send(writer, conversation.Id, $"message {i}");
            sent[i] = Stopwatch.GetTimestamp();
            // Let one message's fan-out finish before the next, so each is measured on its own.
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
            while (received.Any(r => r[i] == 0) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(1);
            }
        }
        await Task.WhenAll(reading).WaitAsync(TimeSpan.FromMinutes(2));
        var usage = cpu is null ? null : cpu.Between(cpuBefore!, cpu.Take(), (long)messages * subscribers);
        calls.ForEach(c => c.Call.Dispose());

        var (fromReturn, fromCall) = (new List<double>(), new List<double>());
        var early = 0;
        for (var i = 0; i < messages; i++)
        {
            foreach (var r in received)
            {
                var ms = Milliseconds(r[i] - sent[i]);
                early += ms < 0 ? 1 : 0;
                fromReturn.Add(Math.Max(0, ms));
                fromCall.Add(Milliseconds(r[i] - called[i]));
            }
        }
        return new Result(feed, subscribers, messages, fromReturn.Count, Summarise(fromReturn), Summarise(fromCall), early,
            usage?.ServerMs * 1000, usage?.ClientMs * 1000);
    }

    private sealed record Subscription(IDisposable Call, Task Live, IAsyncEnumerable<long> Sequences);

    /// <summary>One subscriber: the sequences of the messages it receives, in order.</summary>
    private static Subscription Subscribe(
        ConversationService.ConversationServiceClient client, Feed feed, Conversation conversation, CancellationToken ct)
    {
        if (feed == Feed.StreamMessages)
        {
            var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id }, cancellationToken: ct);
            return new Subscription(call, Task.CompletedTask, Read(call.ResponseStream, r => r.Message.Sequence, ct));
        }
        var watch = client.WatchConversations(new WatchConversationsRequest { AgentId = conversation.AgentId }, cancellationToken: ct);
        return new Subscription(watch, watch.ResponseHeadersAsync, Read(watch.ResponseStream, r => r.Event.Message.Sequence, ct));
    }

    private static async IAsyncEnumerable<long> Read<T>(
        IAsyncStreamReader<T> stream, Func<T, long> sequence, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        while (await stream.MoveNext(ct))
        {
            yield return sequence(stream.Current);
        }
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static Percentiles Summarise(List<double> samples)
    {
        samples.Sort();
        return new Percentiles(Percentile(samples, 0.50), Percentile(samples, 0.99), samples[^1]);
    }

    private static Task Send(ConversationService.ConversationServiceClient client, string conversationId, string content) =>
        client.SendMessageAsync(new SendMessageRequest { ConversationId = conversationId, SenderType = SenderType.Customer, Content = content }).ResponseAsync;

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
}
