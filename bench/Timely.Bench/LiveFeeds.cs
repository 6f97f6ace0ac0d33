namespace Timely.Bench;

/// <summary>The live-feed benchmark: delivery latency to 1, 100 and 1,000 subscribers (with the CPU per delivered
/// message of the server and of the client), and the server's memory with 10,000 idle streams.</summary>
public static class LiveFeeds
{
    /// <param name="baseline">Another build's server: each fan-out row runs on it and then on <paramref name="serverDll"/>,
    /// both servers up for the whole run, so before and after come from the same run.</param>
    /// <param name="fanOutOnly">Only the fan-out latency rows (no cross-replica rows, no idle-stream memory).</param>
    public static async Task RunAsync(string serverDll, PostgresCluster? postgres, string? baseline = null, bool fanOutOnly = false)
    {
        Console.WriteLine($"Timely.Grpc live-feed benchmark · {Environment.ProcessorCount} cores · {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB · .NET {Environment.Version}");
        Console.WriteLine("Server: a separate process on 127.0.0.1, SQLite file, Release build; client on the same machine.");
        Console.WriteLine();
        await FanOutAsync(serverDll, baseline);
        if (fanOutOnly)
        {
            return;
        }

        if (postgres is not null)
        {
            await CrossReplicaAsync(serverDll, postgres);
        }

        await using (var server = await ServerUnderTest.StartAsync(serverDll))
        {
            var m = await IdleStreamsMemory.RunAsync(server, 10_000);
            Console.WriteLine($"Server resident memory with {m.Streams:N0} idle open streams (half StreamMessages, half WatchConversations)");
            Console.WriteLine($"  before {m.BeforeBytes / 1048576.0,8:0.0} MiB");
            Console.WriteLine($"  open   {m.OpenBytes / 1048576.0,8:0.0} MiB   ({m.PerStreamKiB:0.0} KiB per stream)");
            Console.WriteLine($"  closed {m.AfterBytes / 1048576.0,8:0.0} MiB");
        }
    }

    /// <summary>Delivery latency to 1, 100 and 1,000 subscribers of one conversation, and the CPU the server and this
    /// process (the client: writer and subscribers) spent per delivered message.</summary>
    private static async Task FanOutAsync(string serverDll, string? baseline)
    {
        var builds = new List<(string Name, ServerUnderTest Server)>();
        try
        {
            if (baseline is not null)
            {
                builds.Add(("baseline", await ServerUnderTest.StartAsync(baseline)));
            }
            builds.Add((baseline is null ? "" : "this", await ServerUnderTest.StartAsync(serverDll)));
            Console.WriteLine("Delivery latency (ms), one conversation, messages sent one at a time, to subscribers of StreamMessages");
            Console.WriteLine("(the conversation) or of WatchConversations (its agent):");
            Console.WriteLine("  'after return' = SendMessage returned -> subscriber received (a delivery before the return counts 0)");
            Console.WriteLine("  'after call'   = SendMessage called   -> subscriber received");
            Console.WriteLine("  'CPU µs/msg'   = CPU time per delivered message (SendMessage included) of the server process and of the");
            Console.WriteLine("                   benchmark's own process (the writer and every subscriber's client), from /proc");
            if (baseline is not null)
            {
                Console.WriteLine($"  baseline = {baseline}; each row runs on it, then on this build");
            }
            Console.WriteLine($"{"feed",-18} {"build",-8} {"subscribers",11} {"messages",9} {"samples",8} | {"after return: p50",17} {"p99",7} {"max",7} | "
                + $"{"after call: p50",15} {"p99",7} {"max",7} | {"early",6} | {"CPU µs/msg: server",18} {"client",7}");
            foreach (var feed in new[] { Feed.StreamMessages, Feed.WatchConversations })
            {
                foreach (var (subscribers, messages) in new[] { (1, 300), (100, 100), (1000, 30) })
                {
                    foreach (var (name, server) in builds)
                    {
                        var r = await FanOutLatency.RunAsync(server, feed, subscribers, messages, measureCpu: true);
                        Console.WriteLine($"{r.Feed,-18} {name,-8} {r.Subscribers,11} {r.Messages,9} {r.Samples,8} | {r.FromReturn.P50,17:0.00} {r.FromReturn.P99,7:0.00} {r.FromReturn.Max,7:0.00} | "
                            + $"{r.FromCall.P50,15:0.00} {r.FromCall.P99,7:0.00} {r.FromCall.Max,7:0.00} | {r.Early,6} | {r.ServerCpu,18:0} {r.ClientCpu,7:0}");
                    }
                }
            }
        }
        finally
        {
            foreach (var (_, server) in builds)
            {
                await server.DisposeAsync();
            }
        }
        Console.WriteLine();
    }

    /// <summary>Two replicas on one PostgreSQL database: SendMessage on the first, subscribers on the second, so each
    /// delivery crosses replicas through the database's NOTIFY.</summary>
    private static async Task CrossReplicaAsync(string serverDll, PostgresCluster postgres)
    {
        const string database = "timely_bench_feeds";
        await postgres.RecreateDatabaseAsync(database);
        var settings = new Dictionary<string, string>
        {
            ["Storage__Provider"] = "postgres",
            ["ConnectionStrings__Timely"] = postgres.ConnectionString(database),
        };
        await using var writeTo = await ServerUnderTest.StartAsync(serverDll, settings);
        await using var readFrom = await ServerUnderTest.StartAsync(serverDll, settings);
        Console.WriteLine("Cross-replica delivery latency (ms), PostgreSQL, two replicas: SendMessage on one, subscribers on the other");
        Console.WriteLine($"{"feed",-18} {"subscribers",11} {"messages",9} {"samples",8} | {"after return: p50",17} {"p99",7} {"max",7} | {"after call: p50",15} {"p99",7} {"max",7} | {"early",6}");
        foreach (var feed in new[] { Feed.StreamMessages, Feed.WatchConversations })
        {
            foreach (var (subscribers, messages) in new[] { (1, 300), (100, 100) })
            {
                var r = await FanOutLatency.RunAsync(writeTo, readFrom, feed, subscribers, messages);
                Console.WriteLine($"{r.Feed,-18} {r.Subscribers,11} {r.Messages,9} {r.Samples,8} | {r.FromReturn.P50,17:0.00} {r.FromReturn.P99,7:0.00} {r.FromReturn.Max,7:0.00} | "
                    + $"{r.FromCall.P50,15:0.00} {r.FromCall.P99,7:0.00} {r.FromCall.Max,7:0.00} | {r.Early,6}");
            }
        }
        Console.WriteLine();
        await postgres.DropDatabaseAsync(database);
    }
}
