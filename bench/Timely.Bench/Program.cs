using Timely.Bench;

// Usage: dotnet run -c Release --project bench/Timely.Bench [-- MODE ...]
//   feeds [path/to/timely-server.dll]      live-feed latency and idle-stream memory (the default mode)
//   throughput [options]                   req/s against a bare grpc-dotnet server; options in ThroughputBenchmark.cs
// Builds nothing itself: build the servers first (scripts/bench.sh does).
var mode = args.FirstOrDefault() is "feeds" or "throughput" ? args[0] : "feeds";
var rest = args.FirstOrDefault() is "feeds" or "throughput" ? args[1..] : args;
if (mode == "throughput")
{
    return await ThroughputBenchmark.RunAsync(rest);
}

var serverDll = rest.Length > 0 ? Path.GetFullPath(rest[0]) : ServerUnderTest.DefaultServerDll;
if (!File.Exists(serverDll))
{
    Console.Error.WriteLine($"No server at {serverDll}: run 'dotnet build -c Release src/Timely.Server' first.");
    return 2;
}
await LiveFeeds.RunAsync(serverDll);
return 0;
