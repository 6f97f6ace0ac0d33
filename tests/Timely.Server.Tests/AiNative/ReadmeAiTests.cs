using System.Text.Json.Nodes;
using Timely.Server.Tests.Http;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.AiNative;

/// <summary>Runs the shell block of README's AI-native section against a real server: an internal note,
/// an activity and a handoff with its context, as shown.</summary>
public sealed class ReadmeAiTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    [Fact]
    public async Task TheCurlCommandsOfTheAiSectionWorkAsShown()
    {
        var conversation = await server.Client.CreateAsync();
        var keyFile = Path.Combine(server.DataFolder, "key");
        await File.WriteAllTextAsync(keyFile, server.AdminKey);
        var section = ReadmeHttpTests.Section("AI-native conversations: reply drafts, activity, internal notes, handoff context");
        var script = $"set -euo pipefail\nKEY=$(cat '{keyFile}')\nID={conversation.Id}\n"
            + string.Join("\n", ReadmeHttpTests.ShellBlocks(section)).Replace("http://localhost:50052", $"http://127.0.0.1:{server.WebPort}");

        var (exitCode, output, errors) = await ReadmeHttpTests.RunBashAsync(script);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{errors}\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("MESSAGE_VISIBILITY_INTERNAL", (string?)lines[0]["visibility"]);
        Assert.Equal("AGENT_ACTIVITY_KIND_TYPING", (string?)lines[1]["kind"]);
        Assert.NotNull(lines[1]["expires_at"]);
        Assert.Equal("HANDOFF_PRIORITY_URGENT", (string?)lines[2]["priority"]);
        Assert.Equal("Angry about a late refund.", (string?)lines[2]["summary"]);
        var stored = await server.Client.GetAsync(conversation.Id);
        Assert.Null(stored.LastMessageAt);   // the note moved nothing
        Assert.Equal(Timely.Conversations.V1.HandoffReason.Sentiment, stored.Handoff.Reason);
    }
}
