using Timely.Bench;

// Usage: dotnet run -c Release --project bench/Timely.Bench [-- MODE ...]
//   feeds [path/to/timely-server.dll]      live-feed latency and idle-stream memory (the default mode)
//   throughput [options]                   req/s against a bare grpc-dotnet server; options in ThroughputBenchmark.cs
//   search [N] [--baseline old.dll]        SearchMessages p50/p99 over N generated messages on SQLite (default 1,000,000)
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
    // [N] [--baseline path/to/old/timely-server.dll]
    var baseline = Array.IndexOf(rest, "--baseline") is var b and >= 0 ? Path.GetFullPath(rest[b + 1]) : null;
    var count = rest.FirstOrDefault(a => char.IsDigit(a[0])) is { } n ? int.Parse(n.Replace("_", "").Replace(",", "")) : mode == "search" ? 1_000_000 : 5000;
    await (mode == "search"
        ? SearchLatency.RunAsync(ServerUnderTest.DefaultServerDll, baseline, count)
        : WebhookThroughput.RunAsync(ServerUnderTest.DefaultServerDll, baseline, count));
    return 0;
}

var serverDll = rest.Length > 0 ? Path.GetFullPath(rest[0]) : ServerUnderTest.DefaultServerDll;
if (!File.Exists(serverDll))
{
    Console.Error.WriteLine($"No server at {serverDll}: run 'dotnet build -c Release src/Timely.Server' first.");
    return 2;
}
await LiveFeeds.RunAsync(serverDll);
return 0;
