using Timely.Bench;

// Usage: dotnet run -c Release --project bench/Timely.Bench [-- MODE ...]
//   feeds [path/to/timely-server.dll] [--postgres-port P]  live-feed latency (and across two PostgreSQL replicas), idle-stream memory
//   memory [N] [--baseline old.dll] [--gcdump DIR]  only the idle-stream memory (N streams, default 10,000), each build in one run;
//                                          --gcdump: a heap dump of each server while its streams are open (dotnet-gcdump)
//   throughput [options]                   req/s against a bare grpc-dotnet server; options in ThroughputBenchmark.cs
//   search [N] [--baseline old.dll] [--postgres-port P]  SearchMessages p50/p99 over N generated messages (default 1,000,000)
//   webhooks [N] [--baseline old.dll]      webhook events delivered per second to a local receiver (default N 5,000)
//   feeds [new.dll] --fanout-only [--baseline old.dll]  only the fan-out latency rows (with server and client CPU per
//                                          delivered message); with a baseline, each row on the old build, then on the new one
// Builds nothing itself: build the servers first (scripts/bench.sh does).
var mode = args.FirstOrDefault() is "feeds" or "memory" or "throughput" or "search" or "webhooks" ? args[0] : "feeds";
var rest = args.FirstOrDefault() is "feeds" or "memory" or "throughput" or "search" or "webhooks" ? args[1..] : args;
if (mode == "throughput")
{
    return await ThroughputBenchmark.RunAsync(rest);
}

// The options with a value (--baseline old.dll, --postgres-port P) of the modes other than throughput, and what is left.
string? Option(string name) => Array.IndexOf(rest, name) is var i and >= 0 ? rest[i + 1] : null;
var baseline = Option("--baseline") is { } old ? Path.GetFullPath(old) : null;
var postgres = Option("--postgres-port") is { } port ? new PostgresCluster(int.Parse(port)) : null;
var positional = rest.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !rest[i - 1].StartsWith("--", StringComparison.Ordinal))).ToArray();

if (mode is "webhooks" or "search" or "memory")
{
    var count = positional.FirstOrDefault() is { } n ? int.Parse(n.Replace("_", "").Replace(",", ""))
        : mode switch { "search" => 1_000_000, "memory" => 10_000, _ => 5000 };
    await (mode switch
    {
        "search" => SearchLatency.RunAsync(ServerUnderTest.DefaultServerDll, baseline, count, postgres),
        "memory" => IdleMemory.RunAsync(ServerUnderTest.DefaultServerDll, baseline, count, Option("--gcdump") is { } dumps ? Path.GetFullPath(dumps) : null),
        _ => WebhookThroughput.RunAsync(ServerUnderTest.DefaultServerDll, baseline, count),
    });
    return 0;
}

var serverDll = positional.Length > 0 ? Path.GetFullPath(positional[0]) : ServerUnderTest.DefaultServerDll;
if (!File.Exists(serverDll))
{
    Console.Error.WriteLine($"No server at {serverDll}: run 'dotnet build -c Release src/Timely.Server' first.");
    return 2;
}
await LiveFeeds.RunAsync(serverDll, postgres, baseline, fanOutOnly: rest.Contains("--fanout-only"));
return 0;
