using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Timely.Server.Tests.Infrastructure;
using Timely.Testing;

namespace Timely.Server.Tests.Http;

/// <summary>Runs the shell blocks of README's "HTTP/JSON" section, read from README.md itself, against a real
/// server, so the documentation cannot drift from the API: only the address and the key's file change.</summary>
public sealed partial class ReadmeHttpTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    [Fact]
    public async Task EveryCurlCommandOfTheHttpSectionWorksAsShown()
    {
        _ = server.Channel;
        var keyFile = Path.Combine(server.DataFolder, "key");
        await File.WriteAllTextAsync(keyFile, server.AdminKey);
        var script = "set -euo pipefail\n" + string.Join("\n", ShellBlocks(HttpSection()))
            .Replace("http://localhost:50052", $"http://127.0.0.1:{server.WebPort}")
            .Replace("$(cat src/Timely.Server/data/dev-admin-key)", $"$(cat '{keyFile}')");
        Assert.Contains("curl -s -N", script);

        var (exitCode, output, errors) = await RunBashAsync(script);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{errors}\n{output}");
        var lines = output.Split('\n');

        // create + send: the message, as JSON
        var sent = JsonNode.Parse(lines[0])!;
        Assert.Equal("1", (string?)sent["sequence"]);
        Assert.Equal("Hi! How can I help?", (string?)sent["content"]);
        var id = (string)sent["conversationId"]!;
        // list: the open conversation with its subject
        Assert.Contains(lines, l => l.StartsWith('{') && l.Contains(id) && l.Contains("\"subject\":\"Order #1234\""));
        // handoff: now HUMAN, assigned
        Assert.Contains(lines, l => l.Contains("\"status\":\"CONVERSATION_STATUS_HUMAN\"") && l.Contains("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a7c"));
        // the bad request: its google.rpc.Status, then 400
        var error = JsonNode.Parse(lines.Single(l => l.StartsWith("{\"code\":3")))!;
        Assert.Equal(["agent_id", "contact_id"], HttpJson.BadFields(error));
        Assert.Contains("400", lines);
        // following with SSE: the message as event 1, then the end of the stream once closed
        Assert.Contains("id: 1", lines);
        Assert.Contains(lines, l => l.StartsWith("data: ") && l.Contains("Hi! How can I help?"));
        Assert.Contains("event: end", lines);
    }

    private static string HttpSection() => Section("HTTP/JSON");

    /// <summary>The text of README's section with this title, up to the next section.</summary>
    internal static string Section(string title)
    {
        var readme = Repository.ReadFile("README.md");
        var start = readme.IndexOf($"\n## {title}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no {title} section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return readme[start..(end < 0 ? readme.Length : end)];
    }

    internal static IEnumerable<string> ShellBlocks(string markdown) => ShellBlock().Matches(markdown).Select(m => m.Groups[1].Value);

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    internal static async Task<(int ExitCode, string Output, string Errors)> RunBashAsync(string script)
    {
        var start = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }
}
