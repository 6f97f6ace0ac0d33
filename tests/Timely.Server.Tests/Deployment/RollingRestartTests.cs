extern alias sdk;

using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using Timely.Server.Tests.Postgres;
using Timely.Testing;
using Xunit.Abstractions;
using Sdk = sdk::Timely.Client;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Deployment;

/// <summary>Three replicas on one PostgreSQL database behind nginx (deploy/nginx), each in turn stopped
/// gracefully and later killed, while writers and resuming subscribers of every kind (StreamMessages and
/// WatchConversations, over gRPC and grpc-web, and the resuming streams of the C#, JS and Python SDKs) run
/// through nginx: nothing acknowledged is lost, nothing is
/// written twice, and every subscriber gets every message once, in order. Alone, like the replica tests.</summary>
[Collection(nameof(ReplicaTests))]
public sealed class RollingRestartTests(ITestOutputHelper output) : IDisposable
{
    private const int Conversations = 4, WritersPerConversation = 2;
    private static readonly TimeSpan WriterPeriod = TimeSpan.FromMilliseconds(250);

    private readonly TestDatabase? database = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();
    private readonly List<Replica> replicas = [];
    private readonly List<IDisposable> resources = [];

    [SkippableFact]
    public async Task EachReplicaStoppedThenKilledInTurnLosesAndRepeatsNothing()
    {
        Skip.If(database is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        var key = ApiKeySecrets.NewSecret();
        var settings = new Dictionary<string, string>
        {
            ["Auth:BootstrapAdminKey"] = key,
            ["Shutdown:DrainDelay"] = "00:00:01",
            ["Lifecycle:WaitingAfter"] = "00:00:02",
            ["Lifecycle:CloseAfter"] = "01:00:00",
            ["Lifecycle:SweepInterval"] = "00:00:00.250",
        };
        for (var i = 0; i < 3; i++)
        {
            var replica = new Replica(database!.ConnectionString, settings);
            replicas.Add(replica);
            await replica.StartAsync();
        }
        var nginx = Keep(new Nginx([.. replicas.Select(r => (r.GrpcPort, r.WebPort))]));
        await nginx.StartAsync();
        var grpc = Client(Keep(GrpcChannel.ForAddress(nginx.GrpcAddress)), key);
        var web = Client(Keep(GrpcChannel.ForAddress(nginx.WebAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, new HttpClientHandler()),
            HttpVersion = System.Net.HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        })), key);

        using var followersStop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var sdk = new Sdk.TimelyClient(new Sdk.TimelyClientOptions { Address = nginx.GrpcAddress, ApiKey = key });
        var watchers = new[] { new Follower("watch over gRPC"), new Follower("watch over grpc-web"), new Follower("watch by the C# SDK") };
        var watching = new List<Task> { watchers[0].WatchAsync(grpc, followersStop.Token), watchers[1].WatchAsync(web, followersStop.Token) };
        await Task.WhenAll(watchers[..2].Select(w => w.Subscribed.Task)).WaitAsync(TimeSpan.FromSeconds(30));

        var ids = new List<string>();
        for (var i = 0; i < Conversations; i++)
        {
            ids.Add((await Retried(() => grpc.CreateAsync())).Id);
        }
        // The SDK's watch resumes from a cursor: the first conversation's creation, before any message.
        await Eventually(() => Task.FromResult(watchers[0].FirstCursor is not null), "the watcher saw a conversation created");
        watching.Add(watchers[2].WatchAsync(sdk, watchers[0].FirstCursor!, followersStop.Token));
        var followers = new List<Follower>();
        var following = new List<Task>();
        foreach (var id in ids)
        {
            var (overGrpc, overWeb, bySdk) = (new Follower($"{id} over gRPC", id), new Follower($"{id} over grpc-web", id), new Follower($"{id} by the C# SDK", id));
            followers.AddRange([overGrpc, overWeb, bySdk]);
            following.AddRange([overGrpc.StreamAsync(grpc, followersStop.Token), overWeb.StreamAsync(web, followersStop.Token), bySdk.StreamAsync(sdk, followersStop.Token)]);
        }

        // The JS and Python (asyncio) SDKs, each in a process of its own following every conversation and the watch.
        foreach (var (language, command) in new[]
        {
            ("JS", SdkCommand(Path.Combine(Repository.Root, "clients/js/node_modules/.bin/tsx"), "tests/deploy/follow.mts", nginx.GrpcAddress.ToString().TrimEnd('/'))),
            ("Python", SdkCommand("/usr/bin/python3", "tests/deploy/follow.py", $"127.0.0.1:{nginx.GrpcPort}")),
        })
        {
            var watcher = new Follower($"watch by the {language} SDK");
            var streams = ids.Select(id => new Follower($"{id} by the {language} SDK", id)).ToList();
            following.Add(RunSdkAsync(command, [watchers[0].FirstCursor!, .. ids], key, watcher, streams, followersStop.Token));
            followers.AddRange([watcher, .. streams]);
        }

        // Writers: each message has its own content and request id, retried until acknowledged. Each sends at most
        // one message per WriterPeriod (32 a second in all, each fanned out to 25 subscribers): unpaced, or every 20 ms,
        // the replicas' fan-out kept both cores busy and each restarted replica took 30-40 s to start (3.5 s idle).
        using var writersStop = new CancellationTokenSource();
        var acknowledged = new ConcurrentDictionary<string, (string Conversation, long Sequence)>();
        var attempts = 0;
        var writers = ids.SelectMany(id => Enumerable.Range(0, WritersPerConversation).Select(w => Task.Run(async () =>
        {
            using var pace = new PeriodicTimer(WriterPeriod);
            for (var i = 0; !writersStop.IsCancellationRequested && await pace.WaitForNextTickAsync(); i++)
            {
                var request = new SendMessageRequest
                {
                    ConversationId = id, SenderType = SenderType.Customer, Content = $"{id}/{w}/{i}", RequestId = NewId(),
                };
                var sent = await Retried(() => { Interlocked.Increment(ref attempts); return grpc.SendMessageAsync(request).ResponseAsync; });
                Assert.True(acknowledged.TryAdd(request.Content, (id, sent.Message.Sequence)));
            }
        }))).ToList();

        // Each replica in turn: a graceful stop, then (second round) a crash; each back on its ports. The next one
        // only once nginx sends calls to it again (its fail_timeout after the failed calls that stopping it caused):
        // sooner, nginx would skip two replicas for a while, and one failed call on the third would leave it none.
        var readmitted = Nginx.FailTimeout + TimeSpan.FromMilliseconds(500);
        var clock = Stopwatch.StartNew();
        var phases = new List<string>();
        void Phase(string name)
        {
            phases.Add($"{name} {clock.Elapsed.TotalSeconds:0.0}s");
            output.WriteLine(phases[^1]);
        }
        var restarts = 0;
        await Task.Delay(1500);
        foreach (var replica in replicas)
        {
            Assert.Equal(0, await replica.TerminateAsync());
            Phase("stopped");
            await replica.StartAsync();
            Phase("listening");
            restarts++;
            await Task.Delay(readmitted);
        }
        foreach (var replica in replicas)
        {
            replica.Kill();
            await Task.Delay(500);
            await replica.StartAsync();
            Phase("killed, listening");
            restarts++;
            await Task.Delay(readmitted);
        }
        await writersStop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        Phase("writers stopped");
        // Two replicas were up, and taking calls, at every moment: nginx must never have held all three as failed
        // (it did, for tens of seconds, when streams shared the unary calls' failure accounting).
        Assert.DoesNotContain("no live upstreams", nginx.ErrorLog);

        // Stored: each acknowledged message once, sequences 1..N, nothing else.
        foreach (var id in ids)
        {
            var stored = await Retried(() => grpc.AllMessagesAsync(id));
            var sent = acknowledged.Where(a => a.Value.Conversation == id).ToList();
            Assert.Equal(Enumerable.Range(1, sent.Count).Select(i => (long)i), stored.Select(m => m.Sequence));
            Assert.Equal(sent.Select(a => a.Key).Order(), stored.Select(m => m.Content).Order());
            Assert.All(sent, a => Assert.Equal(a.Value.Sequence, stored.Single(m => m.Content == a.Key).Sequence));
        }

        // Every subscriber, across its resumes: every message once, in order.
        var expected = ids.ToDictionary(id => id, id => (long)acknowledged.Count(a => a.Value.Conversation == id));
        // Bounded wait; a subscriber still missing messages then fails below, naming what it received.
        for (var wait = Stopwatch.StartNew(); !followers.Concat(watchers).All(f => f.HasAll(expected)) && wait.Elapsed < TimeSpan.FromSeconds(60);)
        {
            await Task.Delay(200);
        }
        Phase("subscribers caught up");
        await followersStop.CancelAsync();
        await Task.WhenAll(following.Concat(watching));
        foreach (var follower in followers.Concat(watchers))
        {
            follower.AssertEachOnceInOrder(expected);
        }

        // The sweeper still runs: an agent's unanswered message moves a conversation to waiting.
        var quiet = await Retried(() => grpc.CreateAsync());
        await Retried(() => grpc.SendAsync(quiet.Id, SenderType.AiAgent, "Anything else?"));
        await Eventually(async () => (await Retried(() => grpc.GetAsync(quiet.Id))).Status == ConversationStatus.Waiting,
            "the sweeper moved the conversation to waiting", seconds: 30);

        var figures = $"rolling restart through nginx: {replicas.Count} replicas, {restarts} restarts (3 SIGTERM, 3 SIGKILL); " +
            $"{acknowledged.Count} messages acknowledged in {attempts} attempts; {followers.Count + watchers.Length} subscribers " +
            "(gRPC, grpc-web, C#, JS and Python SDKs), " +
            $"{followers.Concat(watchers).Sum(f => f.Reconnections)} reconnections (besides the SDK's own); 0 lost, 0 duplicated";
        Phase("swept");
        output.WriteLine(figures + "; " + string.Join(", ", phases));
        Figures.Write(figures);
    }

    public void Dispose()
    {
        resources.ForEach(r => r.Dispose());
        replicas.ForEach(r => r.Dispose());
        database?.Dispose();
    }

    private T Keep<T>(T resource) where T : IDisposable
    {
        resources.Add(resource);
        return resource;
    }

    private static ConversationService.ConversationServiceClient Client(GrpcChannel channel, string key) =>
        new(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + key);
            return m;
        }));

    /// <summary>A call retried while replicas come and go: through nginx a lost replica shows as
    /// UNAVAILABLE, or a reset (INTERNAL, UNKNOWN) when it dies mid-call.</summary>
    private static async Task<T> Retried<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown && attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }

    private static ProcessStartInfo SdkCommand(string program, string script, string address)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = Repository.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(address);
        return start;
    }

    /// <summary>Runs an SDK's subscribers (tests/deploy/follow.*) until stopped: each line it prints,
    /// "messages|watch CONVERSATION_ID SEQUENCE", is a message one of them received.</summary>
    private static async Task RunSdkAsync(ProcessStartInfo start, string[] arguments, string key, Follower watcher, List<Follower> streams, CancellationToken ct)
    {
        arguments.ToList().ForEach(start.ArgumentList.Add);
        start.Environment["TIMELY_API_KEY"] = key;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
            {
                var (kind, id, sequence) = line.Split(' ') is [var k, var i, var n] ? (k, i, long.Parse(n)) : throw new InvalidOperationException($"{start.FileName} printed: {line}");
                (kind == "watch" ? watcher : streams.Single(f => f.ConversationId == id)).Add(id, sequence);
            }
            throw new InvalidOperationException($"{string.Join(' ', start.ArgumentList)} exited: {await errors}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>A subscriber that resumes from its last position after every break, as the SDKs do:
    /// one conversation's StreamMessages, or the workspace's WatchConversations.</summary>
    private sealed class Follower(string name, string? conversationId = null)
    {
        public string? ConversationId => conversationId;

        private readonly ConcurrentDictionary<string, List<long>> received = new();
        private long lastSequence;
        private string cursor = "";

        public TaskCompletionSource Subscribed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The cursor of the first event this watcher received.</summary>
        public string? FirstCursor { get; private set; }

        public int Reconnections { get; private set; }

        public Task StreamAsync(ConversationService.ConversationServiceClient client, CancellationToken ct) => FollowAsync(async () =>
        {
            using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = lastSequence }, cancellationToken: ct);
            while (await call.ResponseStream.MoveNext(ct))
            {
                var message = call.ResponseStream.Current.Message;
                Add(conversationId!, message.Sequence);
                lastSequence = message.Sequence;
            }
        }, ct);

        public Task WatchAsync(ConversationService.ConversationServiceClient client, CancellationToken ct) => FollowAsync(async () =>
        {
            using var call = client.WatchConversations(new WatchConversationsRequest { AfterCursor = cursor }, cancellationToken: ct);
            await call.ResponseHeadersAsync;
            Subscribed.TrySetResult();
            while (await call.ResponseStream.MoveNext(ct))
            {
                var change = call.ResponseStream.Current.Event;
                if (change.Type == ConversationEventType.MessageAdded)
                {
                    Add(change.Message.ConversationId, change.Message.Sequence);
                }
                cursor = change.Cursor;
                FirstCursor ??= change.Cursor;
            }
        }, ct);

        /// <summary>The SDK resumes by itself (and skips what it already delivered): read it to the end.</summary>
        public async Task StreamAsync(Sdk.TimelyClient client, CancellationToken ct)
        {
            try
            {
                await foreach (var message in client.StreamMessagesAsync(conversationId!, ct: ct))
                {
                    Add(conversationId!, message.Sequence);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }

        public async Task WatchAsync(Sdk.TimelyClient client, string afterCursor, CancellationToken ct)
        {
            try
            {
                await foreach (var change in client.WatchConversationsAsync(new() { AfterCursor = afterCursor }, ct))
                {
                    if (change.Type == sdk::Timely.Conversations.V1.ConversationEventType.MessageAdded)
                    {
                        Add(change.Message.ConversationId, change.Message.Sequence);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }

        public bool HasAll(IReadOnlyDictionary<string, long> expected) =>
            expected.Where(e => conversationId is null || e.Key == conversationId)
                .All(e => received.TryGetValue(e.Key, out var got) && Count(got) >= e.Value);

        public void AssertEachOnceInOrder(IReadOnlyDictionary<string, long> expected)
        {
            foreach (var (id, count) in expected.Where(e => conversationId is null || e.Key == conversationId))
            {
                var got = received.TryGetValue(id, out var list) ? list : [];
                lock (got)
                {
                    Assert.True(Enumerable.Range(1, (int)count).Select(i => (long)i).SequenceEqual(got),
                        $"{name} received {string.Join(",", got)} for {id}, not 1..{count}");
                }
            }
        }

        private async Task FollowAsync(Func<Task> follow, CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await follow();
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
                {
                    // The replica went away (UNAVAILABLE when it stopped gracefully, a reset when killed).
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    Subscribed.TrySetException(e);
                    throw;
                }
                Reconnections++;
                await Task.Delay(100, CancellationToken.None);
            }
        }

        public void Add(string id, long sequence)
        {
            var list = received.GetOrAdd(id, _ => []);
            lock (list)
            {
                list.Add(sequence);
            }
        }

        private static int Count(List<long> list)
        {
            lock (list)
            {
                return list.Count;
            }
        }
    }
}
