using AgentBackend;
using Timely.Client;

// dotnet run --project clients/csharp/examples/AgentBackend -- [AGENT_ID]
// Talks to the service of the README's run command, with its development key, unless
// TIMELY_ADDRESS / TIMELY_API_KEY say otherwise.
var agentId = args.FirstOrDefault() ?? "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a79";
var humanId = Environment.GetEnvironmentVariable("TIMELY_HUMAN_ID") ?? "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a7f";
var apiKey = Environment.GetEnvironmentVariable("TIMELY_API_KEY")
    ?? File.ReadAllText(Path.Combine(FindRepository(), "src/Timely.Server/data/dev-admin-key")).Trim();

using var timely = new TimelyClient(new TimelyClientOptions
{
    Address = new Uri(Environment.GetEnvironmentVariable("TIMELY_ADDRESS") ?? "http://localhost:50051"),
    ApiKey = apiKey,
});
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
Console.WriteLine($"Answering the open conversations of agent {agentId}; Ctrl+C to stop.");
try
{
    await new RuleBasedAgent(timely, agentId, humanId).RunAsync(stop.Token);
}
catch (Exception) when (stop.IsCancellationRequested)
{
    // Ctrl+C: a call in flight ends cancelled.
}

static string FindRepository()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Timely.Grpc.sln")))
        {
            return dir.FullName;
        }
    }
    return Environment.CurrentDirectory;
}
