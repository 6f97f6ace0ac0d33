using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.AiNative;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.Postgres;

/// <summary>Reply drafts and agent activity cross replicas: a subscriber on one replica sees the deltas of a
/// draft written on another, in order and before the message it becomes, and the activity set there.</summary>
[Collection(nameof(ReplicaTests))]
public sealed class LiveReplicaTests : IDisposable
{
    private readonly TestDatabase? database = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();
    private readonly List<Replica> replicas = [];

    [SkippableFact]
    public async Task DraftOnOneReplicaReachesSubscribersOnAnotherBeforeItsMessage()
    {
        Skip.If(database is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        var a = new Replica(database.ConnectionString);
        var b = new Replica(database.ConnectionString);
        replicas.AddRange([a, b]);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var conversation = (await b.Client.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = Fixtures.NewId(), ChannelId = Fixtures.NewId(), ContactId = Fixtures.NewId(),
        })).Conversation;
        await using var stream = new LiveReader<StreamMessagesResponse>(ct => a.Client.StreamMessages(
            new StreamMessagesRequest { ConversationId = conversation.Id, IncludeLive = true }, cancellationToken: ct));
        await using var local = new LiveReader<StreamMessagesResponse>(ct => b.Client.StreamMessages(
            new StreamMessagesRequest { ConversationId = conversation.Id, IncludeLive = true }, cancellationToken: ct));
        await stream.Subscribed;
        await local.Subscribed;

        await b.Client.SetActivityAsync(new SetActivityRequest { ConversationId = conversation.Id, Kind = AgentActivityKind.Thinking });
        Assert.Equal(AgentActivityKind.Thinking, (await stream.Next(r => r.Activity is not null)).Activity.Kind);

        var pieces = Enumerable.Range(0, 40).Select(i => $"piece {i}; ").ToList();
        var sentAt = new List<long>();
        using (var call = await Drafts.StartDraft(b.Client, conversation.Id))
        {
            foreach (var piece in pieces)
            {
                sentAt.Add(System.Diagnostics.Stopwatch.GetTimestamp());
                await Drafts.Piece(call, piece);
                await Task.Delay(10);   // a model's pace, so each delta's latency is its own
            }
            await call.RequestStream.CompleteAsync();
            await call;
        }

        var items = new List<StreamMessagesResponse>();
        var latencies = new List<double>();
        while (items.LastOrDefault()?.ReplyDraft?.State != ReplyDraftState.Committed)
        {
            items.Add(await stream.Next(r => r.ReplyDraft is not null || r.Message is not null));
            if (items[^1].ReplyDraft?.State == ReplyDraftState.Delta)
            {
                latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(sentAt[latencies.Count], stream.LastArrival).TotalMilliseconds);
            }
        }
        latencies.Sort();
        var onB = new List<double>();
        while (onB.Count < pieces.Count)
        {
            await local.Next(r => r.ReplyDraft?.State == ReplyDraftState.Delta);
            onB.Add(System.Diagnostics.Stopwatch.GetElapsedTime(sentAt[onB.Count], local.LastArrival).TotalMilliseconds);
        }
        onB.Sort();
        Report($"reply draft delta, writer to a subscriber on the same replica: median {onB[onB.Count / 2]:0.0} ms, max {onB[^1]:0.0} ms over {onB.Count} deltas");
        Report($"reply draft delta, writer on replica B to subscriber on replica A (PostgreSQL NOTIFY): median {latencies[latencies.Count / 2]:0.0} ms, " +
               $"max {latencies[^1]:0.0} ms over {latencies.Count} deltas");
        var deltas = items.Where(i => i.ReplyDraft?.State == ReplyDraftState.Delta).Select(i => i.ReplyDraft.Text).ToList();
        Assert.Equal(pieces, deltas);
        var messageAt = items.FindIndex(i => i.Message is not null);
        Assert.True(messageAt > items.FindLastIndex(i => i.ReplyDraft?.State == ReplyDraftState.Delta), "the message came before a delta");
        Assert.Equal(string.Concat(pieces), items[messageAt].Message.Content);
        // The message of the AI agent ended its activity, on the other replica too.
        Assert.Equal(AgentActivityKind.None, (await stream.Next(r => r.Activity is not null)).Activity.Kind);
    }

    private static void Report(string figures)
    {
        if (Environment.GetEnvironmentVariable("TIMELY_TEST_OUTPUT") is { Length: > 0 } folder)
        {
            File.AppendAllText(Path.Combine(folder, "figures.txt"), figures + "\n");
        }
    }

    public void Dispose()
    {
        foreach (var replica in replicas)
        {
            replica.Dispose();
        }
        database?.Dispose();
    }
}
