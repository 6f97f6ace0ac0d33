using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Google.Protobuf;
using Timely.Conversations.V1;
using Timely.Testing;

namespace Timely.Bench;

/// <summary>Unary throughput (req/s) of the server's RPCs under h2load, as a share of a bare grpc-dotnet
/// server's empty RPC measured in the same run, on each store configuration, with CPU per call.</summary>
/// <remarks>Options:
///   --server DLL          the timely-server.dll to measure (default: this tree's Release build)
///   --baseline DLL        also measure an older build, side by side (same rows, same run)
///   --bare DLL            the bare server (default: bench/BareServer's Release build)
///   --postgres-port PORT  a running PostgreSQL on 127.0.0.1 with trust auth (scripts/bench.sh starts one);
///                         without it the PostgreSQL rows are skipped
///   --seconds S           about how long each measured run lasts (default 5)
///   --warm-up S           the least warm-up before each measured run (default 4; a new server's first row: 8)
///   --max-warm-up S       the most, while the server's JIT is still busy tiering code up (default 12; a new
///                         server's first row: 30), times the number of replicas: each server's JIT gets about
///                         half the CPU while the other's compiles the same code on the same cores
///   --stores LIST         some of sqlite-normal,sqlite-full,postgres-1,postgres-2 (default: all)
///   --rounds N            measure each store N times (default 1); with a baseline, every second round runs the
///                         builds in the other order (the build measured second did better in most rows of a run on
///                         this machine, by up to 1.5x), and the table ends with each row's ratio of the builds,
///                         round by round, and its geometric mean</remarks>
public static class ThroughputBenchmark
{
    private const string HealthCheck = "grpc.health.v1.Health/Check";
    private const string GetConversation = "timely.conversations.v1.ConversationService/GetConversation";
    private const string SendMessage = "timely.conversations.v1.ConversationService/SendMessage";
    private const string IngestCustomerMessage = "timely.conversations.v1.ConversationService/IngestCustomerMessage";

    /// <summary>Every row offers the same load: 8 connections with 16 concurrent streams each (on many conversations,
    /// h2load sends their bodies in turn).</summary>
    private const int Connections = 8, Streams = 16, ManyConversations = 64;

    /// <summary>Each message moves its conversation's entries in the list indexes (ordered by activity): 64
    /// conversations fit each index in a page or two, 2,048 spread them over many pages, as a deployment's do.</summary>
    private const int SpreadConversations = 2048;

    private sealed record Store(string Key, string Name, int Replicas, bool Postgres, Dictionary<string, string> Settings);

    private static readonly string[] Rows =
    [
        "Health/Check (no key)",
        "GetConversation",
        "SendMessage, 1 conversation",
        $"SendMessage, {ManyConversations} conversations",
        $"SendMessage, {ManyConversations} conversations, request ids",
        $"IngestCustomerMessage, {ManyConversations} contacts",
        $"SendMessage, {SpreadConversations} conversations",
    ];

    /// <summary>The request id (and an inbound message's external id) of the bodies of the rows with request ids:
    /// h2load-rotate replaces it in each request by a new time-ordered id, as every SDK gives each write and as a
    /// channel's message ids are new (see TIMELY_H2LOAD_REQUEST_ID in rotate.c).</summary>
    private const string RequestIdPlaceholder = "00000000-0000-7000-8000-000000000000";

    /// <summary>One measured run. <see cref="Failed"/>: calls that did not end OK (HTTP or gRPC level);
    /// <see cref="Checked"/>: how the gRPC status was checked.</summary>
    private sealed record Measured(
        double RequestsPerSecond, double Seconds, long Calls, long Failed, string Checked, UsageMeter.Usage Usage, ServerMeter.Figures Server, double WarmUpSeconds);

    private sealed record Options(
        string Server, string? Baseline, string Bare, int? PostgresPort, double Seconds, double WarmUp, double MaxWarmUp, string[] Stores, int Rounds);

    /// <summary>A store measured once: its ceiling and each row's figures, per build (in the order of the builds list).</summary>
    private sealed record Group(string Store, string Label, Measured Ceiling, List<(string Row, Measured?[] Builds)> Rows);

    /// <summary>The warm-up runs in steps of this many seconds, to see when the JIT has done its work.</summary>
    private const double WarmUpStep = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        var builds = new List<(string Label, string Dll)> { ("this build", options.Server) };
        if (options.Baseline is not null)
        {
            builds.Add(("baseline", options.Baseline));
        }
        foreach (var dll in builds.Select(b => b.Dll).Append(options.Bare).Where(d => !File.Exists(d)))
        {
            Console.Error.WriteLine($"No {dll}: build it in Release first (scripts/bench.sh throughput does).");
            return 2;
        }
        var stores = new List<Store>
        {
            new("sqlite-normal", "SQLite, Synchronous=Normal", 1, false, new() { ["Storage__Sqlite__Synchronous"] = "Normal" }),
            new("sqlite-full", "SQLite, Synchronous=Full", 1, false, new() { ["Storage__Sqlite__Synchronous"] = "Full" }),
            new("postgres-1", "PostgreSQL, 1 replica", 1, true, new() { ["Storage__Provider"] = "postgres" }),
            new("postgres-2", "PostgreSQL, 2 replicas", 2, true, new() { ["Storage__Provider"] = "postgres" }),
        }.Where(s => options.Stores.Contains(s.Key)).ToList();
        if (options.PostgresPort is null && stores.RemoveAll(s => s.Postgres) > 0)
        {
            Console.WriteLine("No --postgres-port: the PostgreSQL rows are skipped.");
        }
        var cluster = options.PostgresPort is { } port ? new PostgresCluster(port) : null;
        if (cluster is not null && stores.Any(s => s.Postgres))
        {
            try
            {
                await cluster.PostmasterPidAsync();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"No PostgreSQL on port {options.PostgresPort} ({e.Message.Trim()}): start one with scripts/postgres.sh start PORT.");
                return 2;
            }
        }

        var started = DateTime.Now;
        Console.WriteLine($"Timely.Grpc throughput benchmark · {Environment.ProcessorCount} cores · "
            + $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB · .NET {Environment.Version} · {H2LoadVersion()} · started {started:yyyy-MM-dd HH:mm}");
        foreach (var (label, dll) in builds)
        {
            Console.WriteLine($"  {label}: {dll}");
        }
        Console.WriteLine($"Load: h2load -c {Connections} -m {Streams} per row (split over the replicas; for {ManyConversations} conversations h2load sends "
            + $"their bodies in turn). Each row warms up for {options.WarmUp:0.#} s or more, until the");
        Console.WriteLine($"server's JIT has done tiering the code up, at most {options.MaxWarmUp:0.#} s (a new server's first row: {First(options).Min:0.#}-{First(options).Max:0.#} s; "
            + $"twice as long at most with two replicas), then is measured for about {options.Seconds:0.#} s.");
        Console.WriteLine();

        using var work = new TempFolder();
        var emptyFrame = Path.Combine(work.Path, "empty.bin");
        H2Load.WriteFrame(emptyFrame, []);

        var groups = new List<Group>();
        var errors = new List<string>();
        await using (var bare = await BareServer.StartAsync(options.Bare))
        {
            var bareJobs = new[] { new H2LoadJob(bare.Port, HealthCheck, emptyFrame, Connections, Streams, null) };
            var bareMeter = new UsageMeter([bare.ProcessId], null);
            var bareCheck = new Check(HealthCheck, EmptyResponseBytes, [], null);
            var runIndex = 0;
            foreach (var (store, round) in stores.SelectMany(s => Enumerable.Range(0, options.Rounds).Select(r => (s, r))))
            {
                // The ceiling next to the rows it is compared with: this machine's load changes by the minute.
                // The first warm-up JIT-warms the bare server with a few hundred thousand calls.
                var ceiling = await MeasureAsync(bareJobs, bareMeter, null, groups.Count == 0 ? First(options) : (WarmUpStep, options.MaxWarmUp), options, bareCheck);
                Progress("bare grpc-dotnet", "Health/Check (the ceiling)", ceiling);
                var rows = Rows.Select(r => (r, new Measured?[builds.Count])).ToList();
                var order = Enumerable.Range(0, builds.Count).ToList();
                if (round % 2 == 1)
                {
                    order.Reverse();
                }
                var label = options.Rounds == 1 ? store.Name : $"{store.Name}, round {round + 1} ({builds[order[0]].Label} first)";
                groups.Add(new Group(store.Name, label, ceiling, rows));
                foreach (var b in order)
                {
                    var database = $"timely_bench_{runIndex++}";
                    try
                    {
                        var measured = await RunStoreAsync(store, builds[b].Dll, cluster, database, emptyFrame, work.Path, options);
                        for (var r = 0; r < Rows.Length; r++)
                        {
                            rows[r].Item2[b] = measured[r];
                            Progress($"{store.Name} ({builds[b].Label})", Rows[r], measured[r]);
                        }
                    }
                    catch (Exception e)
                    {
                        errors.Add($"{store.Name}, {builds[b].Label}: {e.Message}");
                        Console.WriteLine($"  {store.Name} ({builds[b].Label}) FAILED: {e.Message}");
                    }
                    finally
                    {
                        if (store.Postgres && cluster is not null)
                        {
                            await cluster.DropDatabaseAsync(database).ContinueWith(_ => { }, TaskScheduler.Default);   // best effort
                        }
                    }
                }
            }
        }

        PrintTable(builds.Select(b => b.Label).ToList(), groups);
        if (builds.Count == 2 && options.Rounds > 1)
        {
            PrintRatios(groups);
        }
        foreach (var error in errors)
        {
            Console.WriteLine("ERROR " + error);
        }
        Console.WriteLine($"Finished {DateTime.Now:HH:mm} ({(DateTime.Now - started).TotalMinutes:0.0} min).");
        return errors.Count == 0 && groups.All(g => g.Rows.All(r => r.Builds.All(m => m is { Failed: 0 }))) ? 0 : 1;
    }

    /// <summary>One build on one store configuration: its servers, the data, then every row.</summary>
    private static async Task<Measured[]> RunStoreAsync(
        Store store, string serverDll, PostgresCluster? cluster, string database, string emptyFrame, string folder, Options options)
    {
        var settings = new Dictionary<string, string>(store.Settings);
        int? postmaster = null;
        if (store.Postgres)
        {
            await cluster!.RecreateDatabaseAsync(database);
            settings["ConnectionStrings__Timely"] = cluster.ConnectionString(database);
            postmaster = await cluster.PostmasterPidAsync();
        }
        var servers = new List<ServerUnderTest>();
        try
        {
            // One after the other: each replica migrates the schema at start-up.
            for (var i = 0; i < store.Replicas; i++)
            {
                servers.Add(await ServerUnderTest.StartAsync(serverDll, settings, callLog: true));
            }
            var client = servers[0].NewClient();
            var conversations = new List<string>();
            var sendFrames = new List<string>();
            var keyedSendFrames = new List<string>();
            var ingestFrames = new List<string>();
            async Task AddConversationsAsync(int count)
            {
                for (var n = 0; n < count; n++)
                {
                    var i = conversations.Count;
                    var created = (await client.CreateConversationAsync(new CreateConversationRequest
                    {
                        AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
                        Subject = $"Throughput benchmark {i}",
                    })).Conversation;
                    conversations.Add(created.Id);
                    const string content = "Hello! My order #1234 has not arrived yet, could you check where it is?";
                    var send = new SendMessageRequest { ConversationId = created.Id, SenderType = SenderType.Customer, Content = content };
                    // No request_id: h2load repeats the body, and a repeated request_id would write once.
                    sendFrames.Add(Frame($"send-{i}.bin", send));
                    // With one, replaced in every request (TIMELY_H2LOAD_REQUEST_ID).
                    keyedSendFrames.Add(Frame($"send-keyed-{i}.bin", new SendMessageRequest(send) { RequestId = RequestIdPlaceholder }));
                    // The contact's conversation on the channel is this one, open: each inbound message appends to it.
                    ingestFrames.Add(Frame($"ingest-{i}.bin", new IngestCustomerMessageRequest
                    {
                        ChannelId = created.ChannelId, ContactId = created.ContactId, AgentId = created.AgentId, Content = content,
                        ExternalId = RequestIdPlaceholder, RequestId = RequestIdPlaceholder,
                    }));
                }
            }
            string Frame(string name, IMessage request)
            {
                var path = Path.Combine(folder, name);
                H2Load.WriteFrame(path, request.ToByteArray());
                return path;
            }
            // The 2,048 only before their row: until then the database holds 65 conversations, as the rows before
            // it always measured.
            await AddConversationsAsync(1 + ManyConversations);
            var getFrame = Path.Combine(folder, "get.bin");
            H2Load.WriteFrame(getFrame, new GetConversationRequest { Id = conversations[0] }.ToByteArray());

            // Each server gets its share of the 8 connections; of a SendMessage row, the conversations it writes to
            // (conversationsOf its index): its h2load sends their bodies in turn.
            IEnumerable<H2LoadJob> Spread(string method, string frame) => servers.Select(s =>
                new H2LoadJob(s.Port, method, frame, Connections / servers.Count, Streams, method == HealthCheck ? null : s.Key));
            // frames: the bodies to send, by conversation; every list but sendFrames carries RequestIdPlaceholder.
            IEnumerable<H2LoadJob> SendTo(Func<int, IEnumerable<int>> conversationsOf, List<string>? frames = null, string method = SendMessage) =>
                servers.Select((s, k) =>
                {
                    var mine = conversationsOf(k).ToList();
                    return new H2LoadJob(s.Port, method, mine.Select(c => (frames ?? sendFrames)[c]).ToList(), Connections / servers.Count, Streams, s.Key,
                        mine.Select(c => conversations[c]).ToList(), frames is null ? null : RequestIdPlaceholder);
                });
            IEnumerable<int> Many(int k) => Enumerable.Range(1, ManyConversations).Where(i => i % servers.Count == k);
            var jobs = new[]
            {
                Spread(HealthCheck, emptyFrame),
                Spread(GetConversation, getFrame),
                SendTo(_ => [0]),
                SendTo(Many),
                SendTo(Many, keyedSendFrames),
                SendTo(Many, ingestFrames, IngestCustomerMessage),
                SendTo(k => Enumerable.Range(1 + ManyConversations, SpreadConversations).Where(i => i % servers.Count == k)),
            };

            var meter = new UsageMeter(servers.Select(s => s.ProcessId).ToList(), postmaster);
            var serverMeter = new ServerMeter(servers.Select(s => s.WebPort).ToList());
            var logs = servers.Select(s => new CallLog(s.LogFile!)).ToList();
            // GetConversation reads a conversation nothing changes meanwhile: every response is the same.
            var conversationBytes = 5 + (await client.GetConversationAsync(new GetConversationRequest { Id = conversations[0] })).CalculateSize();
            var checks = new[]
            {
                new Check(HealthCheck, ServingResponseBytes, logs, client),
                new Check(GetConversation, conversationBytes, logs, client),
                new Check(SendMessage, null, logs, client),
                new Check(SendMessage, null, logs, client),
                new Check(SendMessage, null, logs, client),
                new Check(IngestCustomerMessage, null, logs, client),
                new Check(SendMessage, null, logs, client),
            };
            var measured = new Measured[Rows.Length];
            for (var r = 0; r < Rows.Length; r++)
            {
                if (r == Rows.Length - 1)
                {
                    await AddConversationsAsync(SpreadConversations);
                }
                // The first row's warm-up is the server's first load: its JIT has the most to do. Replicas compile the
                // same code at once on the same cores, so each gets as many times as long at most.
                var (least, most) = r == 0 ? First(options) : (options.WarmUp, options.MaxWarmUp);
                measured[r] = await MeasureAsync(jobs[r].ToList(), meter, serverMeter, (least, most * store.Replicas), options, checks[r]);
            }
            return measured;
        }
        catch (Exception e) when (servers.Count > 0)
        {
            // The servers' folders go with them: what they logged last goes with the error.
            throw new InvalidOperationException(e.Message + string.Concat(servers.Select(s => s.Describe())), e);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>The framed response of a health check with no checks registered (the bare server): an empty
    /// HealthCheckResponse (status UNKNOWN), 5 bytes; of the Timely server, whose store answers: SERVING (08 01), 7 bytes.</summary>
    private const int EmptyResponseBytes = 5, ServingResponseBytes = 7;

    /// <summary>How a row's calls are checked at the gRPC level (HTTP 200 does not mean grpc-status 0; a failed
    /// call gets trailers and no message): <see cref="ResponseBytes"/>, the size of the one response every call
    /// of the row gets; <see cref="Logs"/>, the servers' call logs; <see cref="Client"/>, to read the
    /// last_sequence of the conversations the row writes to.</summary>
    private sealed record Check(string Method, int? ResponseBytes, IReadOnlyList<CallLog> Logs, ConversationService.ConversationServiceClient? Client);

    /// <summary>A new server's first warm-up, with a few hundred thousand calls for the bare server: its JIT
    /// compiles and tiers up most of the code every row runs.</summary>
    private static (double Min, double Max) First(Options options) => (Math.Max(options.WarmUp, 8), Math.Max(options.MaxWarmUp, 30));

    /// <summary>Timed warm-up runs, then a measured run of about <see cref="Options.Seconds"/> at the rate the
    /// last warm-up run reached, checked, with its CPU time.</summary>
    /// <remarks>The warm-up lasts at least <paramref name="warmUp"/>.Min, then until the server's JIT has done
    /// tiering the code up (under 5 % of the server's CPU in the last step), at most <paramref name="warmUp"/>.Max:
    /// on two busy cores it keeps recompiling for half a minute or more, and its work would be counted per call. A measured run much shorter
    /// than asked (the warm-up's rate was an underestimate) is run again, longer.</remarks>
    private static async Task<Measured> MeasureAsync(
        IReadOnlyList<H2LoadJob> jobs, UsageMeter meter, ServerMeter? serverMeter, (double Min, double Max) warmUp, Options options, Check check)
    {
        double rate, warmedUp = 0;
        while (true)
        {
            var start = meter.Take();
            var warm = await H2Load.RunAsync(jobs, seconds: WarmUpStep);
            var tiering = meter.Between(start, meter.Take(), 1).TieringPercent;
            warmedUp += WarmUpStep;
            rate = warm.Sum(r => r.RequestsPerSecond);
            if (warmedUp >= warmUp.Max || (warmedUp >= warmUp.Min && tiering < 5))
            {
                break;
            }
        }
        var measured = await MeasureOnceAsync(jobs, meter, serverMeter, check, Math.Max(256, (long)(rate * options.Seconds)), warmedUp);
        if (measured.Seconds < 0.6 * options.Seconds)
        {
            measured = await MeasureOnceAsync(jobs, meter, serverMeter, check, (long)(measured.Calls * options.Seconds / measured.Seconds), warmedUp + measured.Seconds);
        }
        return measured;
    }

    private static async Task<Measured> MeasureOnceAsync(
        IReadOnlyList<H2LoadJob> jobs, UsageMeter meter, ServerMeter? serverMeter, Check check, long requests, double warmedUp)
    {
        // Calls a timed warm-up left in flight finish (or fail) before anything is counted.
        var conversations = jobs.SelectMany(j => j.Tags ?? []).Distinct().ToList();
        var sequencesBefore = await LastSequencesAsync(check.Client, conversations);
        await CallLog.SettleAsync(check.Logs);
        check.Logs.ToList().ForEach(l => l.Skip());

        var before = meter.Take();
        var serverBefore = serverMeter?.Take();
        var results = await H2Load.RunAsync(jobs, requests: requests);
        var serverAfter = serverMeter?.Take();
        await CallLog.SettleAsync(check.Logs);   // the log lines of the last calls are part of their cost
        var after = meter.Take();

        var done = results.Sum(r => r.Done);
        var elapsed = results.Max(r => r.Seconds);
        var (grpcFailures, how) = await CheckAsync(check, results, conversations, sequencesBefore);
        return new Measured(done / elapsed, elapsed, done, results.Sum(r => r.HttpFailures) + grpcFailures, how, meter.Between(before, after, done),
            serverMeter?.Between(serverBefore!, serverAfter!, done) ?? new ServerMeter.Figures(null, null, null), warmedUp);
    }

    /// <summary>Calls that came back HTTP 2xx without being OK, by every check the row allows (the most any
    /// of them finds); non-OK statuses in the call log, and checks that disagree, are printed.</summary>
    private static async Task<(long Failures, string How)> CheckAsync(
        Check check, IReadOnlyList<H2LoadResult> results, List<string> conversations, Dictionary<string, long> sequencesBefore)
    {
        var ok2xx = results.Sum(r => r.Status2xx);
        var method = check.Method.Split('/')[^1];
        var found = new List<(string How, long Failures)>();
        if (check.ResponseBytes is { } size)
        {
            var data = results.Sum(r => r.DataBytes);
            if (data % size != 0 || data > ok2xx * size)
            {
                Console.WriteLine($"    note: {method}: {data:N0} bytes of responses for {ok2xx:N0} calls, not a multiple of {size}");
            }
            found.Add(("body", ok2xx - data / size));
        }

        var statuses = new Dictionary<string, long>();
        foreach (var (status, count) in check.Logs.SelectMany(l => l.ReadStatuses(check.Method)))
        {
            statuses[status] = statuses.GetValueOrDefault(status) + count;
        }
        foreach (var (status, count) in statuses.Where(s => s.Key != "OK"))
        {
            Console.WriteLine($"    note: {method}: the server logged {count:N0} calls ending {status}");
        }
        if (statuses.Count > 0)
        {
            found.Add(("log", ok2xx - statuses.GetValueOrDefault("OK")));
        }

        if (conversations.Count > 0)
        {
            var sequencesAfter = await LastSequencesAsync(check.Client, conversations);
            // The row's conversations together grew by its calls that came back 2xx (several h2load processes may
            // write to one conversation; one h2load may send the bodies of several in turn), and each of them grew.
            var grown = conversations.Sum(c => sequencesAfter[c] - sequencesBefore[c]);
            var shortfall = Math.Max(0, ok2xx - grown);
            var surplus = Math.Max(0, grown - ok2xx);
            var untouched = conversations.Count(c => sequencesAfter[c] == sequencesBefore[c]);
            if (ok2xx >= conversations.Count && untouched > 0)
            {
                Console.WriteLine($"    note: {method}: {untouched} conversations received none of the calls sent to them in turn");
                shortfall = Math.Max(shortfall, untouched);
            }
            if (surplus > 0)
            {
                Console.WriteLine($"    note: {method}: {surplus:N0} more messages stored than calls that came back 2xx");
            }
            found.Insert(0, ("seq", shortfall));
        }

        if (found.Select(f => f.Failures).Distinct().Count() > 1)
        {
            Console.WriteLine($"    note: {method}: the checks disagree on failed calls: {string.Join(", ", found.Select(f => $"{f.How} {f.Failures:N0}"))}");
        }
        return found.Count == 0 ? (0, "http") : (found.Max(f => f.Failures), string.Join('+', found.Select(f => f.How)));
    }

    /// <summary>The conversations' last_sequence once it has stopped moving.</summary>
    private static async Task<Dictionary<string, long>> LastSequencesAsync(ConversationService.ConversationServiceClient? client, List<string> conversations)
    {
        if (conversations.Count == 0)
        {
            return [];
        }
        async Task<Dictionary<string, long>> Read()
        {
            var read = new Dictionary<string, long>();
            foreach (var id in conversations)
            {
                read[id] = (await client!.GetConversationAsync(new GetConversationRequest { Id = id })).Conversation.LastSequence;
            }
            return read;
        }
        var last = await Read();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await Task.Delay(200);
            var now = await Read();
            if (now.All(kv => last[kv.Key] == kv.Value))
            {
                break;
            }
            last = now;
        }
        return last;
    }

    private static void Progress(string store, string row, Measured m) =>
        Console.WriteLine($"  {store,-40} {row,-30} {m.RequestsPerSecond,9:N0} req/s in {m.Seconds,4:0.0} s after {m.WarmUpSeconds,2:0} s warm-up, "
            + $"{m.Calls,9:N0} calls, {m.Failed:N0} failed ({m.Checked}), JIT tiering {m.Usage.TieringPercent:0}% of the server's CPU, others {m.Usage.OthersPercent:0}%"
            + (m.Server.WriterPercent is { } writer ? $", SQLite writer busy {writer:0}%" : "")
            + (m.Usage.WriterUs is { } writerUs and > 0 ? $" ({writerUs:0.0} µs of its CPU per call)" : "")
            + (m.Server.GcPausePercent is { } pause ? $", GC pauses {pause:0}%" : ""));

    private static void PrintTable(IReadOnlyList<string> builds, List<Group> groups)
    {
        const string cells = "{0,9} {1,7} {2,6} {3,8} {4,5} {5,6} {6,7} {7,5} {8,7} {9,8} {10,8} {11,8} {12,6}";
        string Cells(params object[] values) => string.Format(CultureInfo.InvariantCulture, cells, values);
        string Percent(double? share) => share is { } p ? p.ToString("0", CultureInfo.InvariantCulture) + "%" : "-";
        string Figures(Measured? m, double ceiling) => m is null
            ? Cells("error", "", "", "", "", "", "", "", "", "", "", "", "")
            : Cells(
                m.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                (100 * m.RequestsPerSecond / ceiling).ToString("0.0", CultureInfo.InvariantCulture) + "%",
                m.Failed.ToString(CultureInfo.InvariantCulture) + (m.Checked == "http" ? "*" : ""),
                m.Usage.ServerMs.ToString("0.000", CultureInfo.InvariantCulture),
                m.Usage.TieringPercent.ToString("0", CultureInfo.InvariantCulture) + "%",
                Percent(m.Server.WriterPercent),
                m.Usage.WriterUs?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-",
                Percent(m.Server.GcPausePercent),
                m.Server.AllocatedKbPerCall?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-",
                m.Usage.PostgresMs?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-",
                m.Usage.WrittenKb.ToString("0.0", CultureInfo.InvariantCulture),
                m.Usage.ClientMs.ToString("0.000", CultureInfo.InvariantCulture),
                m.Usage.OthersPercent.ToString("0", CultureInfo.InvariantCulture) + "%");
        var width = Cells("", "", "", "", "", "", "", "", "", "", "", "", "").Length;
        const int label = 64;

        Console.WriteLine();
        Console.WriteLine(new string(' ', label) + string.Join(" | ", builds.Select(b => b.PadRight(width))));
        Console.WriteLine($"{"store / row",-label}" + string.Join(" | ", builds.Select(_ => Cells("req/s", "% ceil", "failed", "server", "jit", "writer", "writer", "gc", "alloc", "postgres", "written", "client", "others"))));
        Console.WriteLine(new string(' ', label) + string.Join(" | ", builds.Select(_ => Cells("", "", "", "ms/call", "", "busy", "µs/call", "pause", "KB/call", "ms/call", "KB/call", "ms/call", "CPU"))));
        foreach (var (_, store, ceiling, rows) in groups)
        {
            Console.WriteLine(store);
            Console.WriteLine($"{"  bare grpc-dotnet Health/Check (the ceiling)",-label}" + Figures(ceiling, ceiling.RequestsPerSecond)
                + (builds.Count > 1 ? " | (the same bare server for every build)" : ""));
            foreach (var (row, measured) in rows)
            {
                Console.WriteLine($"{"  Timely " + row,-label}" + string.Join(" | ", measured.Select(m => Figures(m, ceiling.RequestsPerSecond))));
            }
        }
        Console.WriteLine();
        Console.WriteLine("% ceil: of the bare server's req/s measured just before the store's rows. failed: calls not OK at the gRPC level,");
        Console.WriteLine("  by every check a row allows, the most any finds: HTTP status; every response carrying its message (errors carry");
        Console.WriteLine("  none); the server's call log; for SendMessage each conversation's last_sequence growth (* = HTTP status only).");
        Console.WriteLine("server / postgres / client: CPU (user+system) per call during the measured run, of the server process(es), the");
        Console.WriteLine("  PostgreSQL cluster, and h2load plus this driver. jit: the part of the server's CPU its JIT spent tiering code up.");
        Console.WriteLine("  others: the share of the machine's CPU that other processes used meanwhile.");
        Console.WriteLine("written: what the server process(es) and the PostgreSQL cluster wrote to storage per call (write_bytes of /proc/PID/io):");
        Console.WriteLine("  on SQLite its write-ahead log, checkpoints and log file; CPU-independent, so steadier than req/s on a busy machine.");
        Console.WriteLine("writer: SQLite's single writer, the share of the measured run it spent running and committing groups of writes");
        Console.WriteLine("  (timely_store_writer_busy_seconds_total); near 100 %, it is what bounds the row. µs/call: the writer thread's CPU");
        Console.WriteLine("  per call (its schedstat): the writer's own work, whatever other processes take; compare builds within a round.");
        Console.WriteLine("  - : PostgreSQL, or an older build.");
        Console.WriteLine("gc pause / alloc: the share of the measured run the garbage collector paused the server(s), and what they");
        Console.WriteLine("  allocated per call (dotnet_gc_pause_time_seconds_total, dotnet_gc_heap_total_allocated_bytes_total). Every server,");
        Console.WriteLine("  the bare one included, runs with the GC settings of the container image (deploy/Dockerfile's DOTNET_GC*).");
    }

    /// <summary>Each row's req/s of this build over the baseline's, round by round, and their geometric mean: the
    /// rounds alternate which build runs first, so the mean weighs both orders alike.</summary>
    private static void PrintRatios(List<Group> groups)
    {
        Console.WriteLine();
        Console.WriteLine("this build / baseline, req/s, round by round; gmean: their geometric mean");
        foreach (var store in groups.GroupBy(g => g.Store))
        {
            Console.WriteLine(store.Key);
            for (var r = 0; r < Rows.Length; r++)
            {
                var ratios = store.Select(g => g.Rows[r].Builds is [{ } mine, { } baseline] ? mine.RequestsPerSecond / baseline.RequestsPerSecond : (double?)null).ToList();
                var measured = ratios.OfType<double>().ToList();
                var mean = measured.Count == 0 ? "-" : Math.Exp(measured.Average(Math.Log)).ToString("0.00", CultureInfo.InvariantCulture);
                Console.WriteLine($"  {Rows[r],-44} gmean {mean,5}   " +
                    string.Join("  ", ratios.Select(x => x?.ToString("0.00", CultureInfo.InvariantCulture) ?? "error")));
            }
        }
    }

    private static Options Parse(string[] args)
    {
        string? Value(string name)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }
        var repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        return new Options(
            Path.GetFullPath(Value("--server") ?? ServerUnderTest.DefaultServerDll),
            Value("--baseline") is { } baseline ? Path.GetFullPath(baseline) : null,
            Path.GetFullPath(Value("--bare") ?? Path.Combine(repo, "bench/BareServer/bin/Release/net10.0/bare-server.dll")),
            Value("--postgres-port") is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : null,
            double.Parse(Value("--seconds") ?? "5", CultureInfo.InvariantCulture),
            double.Parse(Value("--warm-up") ?? "4", CultureInfo.InvariantCulture),
            double.Parse(Value("--max-warm-up") ?? "12", CultureInfo.InvariantCulture),
            (Value("--stores") ?? "sqlite-normal,sqlite-full,postgres-1,postgres-2").Split(','),
            int.Parse(Value("--rounds") ?? "1", CultureInfo.InvariantCulture));
    }

    private static string H2LoadVersion()
    {
        using var h2load = Process.Start(new ProcessStartInfo("h2load", "--version") { RedirectStandardOutput = true })!;
        var version = h2load.StandardOutput.ReadToEnd().Trim();
        h2load.WaitForExit();
        return version;
    }

    /// <summary>The bare grpc-dotnet server (bench/BareServer) as a child process. Its output is kept only to
    /// explain a failed start: it logs an error for each call a timed h2load run drops at its end.</summary>
    private sealed class BareServer : IAsyncDisposable
    {
        private readonly Process process;
        private readonly Queue<string> output = new();

        private BareServer(string dll)
        {
            Port = ServerUnderTest.FreePort();
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add($"http://127.0.0.1:{Port}");
            // The ceiling under the same runtime settings as the servers it is compared with.
            foreach (var (key, value) in ContainerImage.GcSettings)
            {
                start.Environment[key] = value;
            }
            process = Process.Start(start)!;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Port { get; }

        public int ProcessId => process.Id;

        public static async Task<BareServer> StartAsync(string dll)
        {
            var server = new BareServer(dll);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync("127.0.0.1", server.Port);
                    return server;
                }
                catch (SocketException) when (attempt < 300 && !server.process.HasExited)
                {
                    await Task.Delay(100);
                }
                catch (SocketException)
                {
                    await server.DisposeAsync();
                    lock (server.output)
                    {
                        throw new InvalidOperationException($"the bare server did not start:\n{string.Join('\n', server.output)}");
                    }
                }
            }
        }

        private void Keep(string? line)
        {
            lock (output)
            {
                if (line is not null)
                {
                    output.Enqueue(line);
                }
                while (output.Count > 30)
                {
                    output.Dequeue();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("timely-throughput-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
