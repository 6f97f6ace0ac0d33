using Timely.Bench;

// Usage: dotnet run -c Release --project bench/Timely.Bench [-- MODE ...]
//   feeds [path/to/timely-server.dll] [--postgres-port P]  live-feed latency (and across two PostgreSQL replicas), idle-stream memory
//   throughput [options]                   req/s against a bare grpc-dotnet server; options in ThroughputBenchmark.cs
//   search [N] [--baseline old.dll] [--postgres-port P]  SearchMessages p50/p99 over N generated messages (default 1,000,000)
//   webhooks [N] [--baseline old.dll]      webhook events delivered per second to a local receiver (default N 5,000)
// Builds nothing itself: build the servers first (scripts/bench.sh does).
var mode = args.FirstOrDefault() is "feeds" or "throughput" or "search" or "webhooks" ? args[0] : "feeds";
var rest = args.FirstOrDefault() is "feeds" or "throughput" or "search" or "webhooks" ? args[1..] : args;
if (mode == "throughput")
{
    return await ThroughputBenchmark.RunAsync(rest);
}
if (mode is "webhooks" or "search")
{
    // [N] [--baseline path/to/old/timely-server.dll] [--postgres-port P (search on PostgreSQL)]
    var baseline = Array.IndexOf(rest, "--baseline") is var b and >= 0 ? Path.GetFullPath(rest[b + 1]) : null;
    var count = rest.Where((a, i) => i == 0 || rest[i - 1] is not ("--postgres-port" or "--baseline")).FirstOrDefault(a => char.IsDigit(a[0])) is { } n ? int.Parse(n.Replace("_", "").Replace(",", "")) : mode == "search" ? 1_000_000 : 5000;
    var postgres = Array.IndexOf(rest, "--postgres-port") is var p and >= 0 ? new PostgresCluster(int.Parse(rest[p + 1])) : null;
    await (mode == "search"
        ? SearchLatency.RunAsync(ServerUnderTest.DefaultServerDll, baseline, count, postgres)
        : WebhookThroughput.RunAsync(ServerUnderTest.DefaultServerDll, baseline, count));
    return 0;
}

var fp = Array.IndexOf(rest, "--postgres-port");
var feedsPostgres = fp >= 0 ? new PostgresCluster(int.Parse(rest[fp + 1])) : null;
rest = fp < 0 ? rest : [.. rest.Where((_, i) => i != fp && i != fp + 1)];
var serverDll = rest.Length > 0 ? Path.GetFullPath(rest[0]) : ServerUnderTest.DefaultServerDll;
if (!File.Exists(serverDll))
{
    Console.Error.WriteLine($"No server at {serverDll}: run 'dotnet build -c Release src/Timely.Server' first.");
    return 2;
}
await LiveFeeds.RunAsync(serverDll, feedsPostgres);
return 0;
