using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Timely.Conversations.V1;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Observability;

/// <summary>The logs, as an operator reads them: JSON lines, one per call with its method, status, duration,
/// workspace and trace id; and at every level, down to Trace, no API key and no message content.</summary>
[Collection(nameof(ObservedServer))]
public sealed class LogTests
{
    [Fact]
    public async Task LogsAtTraceLevelHoldNoKeyAndNoMessageContent()
    {
        using var server = new ObservedServer(new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",   // appsettings.json quiets it
            ["Logging:Console:FormatterName"] = "json",
        });
        const string secretText = "my card number is 4111 1111 1111 1111";
        var unknownKey = "tly_unknown_" + Guid.NewGuid().ToString("N");
        var client = server.Client;

        var conversation = await client.CreateAsync(subject: "Order");
        using var stream = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
        await stream.ResponseHeadersAsync;
        await client.SendAsync(conversation.Id, SenderType.Customer, secretText);
        Assert.True(await stream.ResponseStream.MoveNext());
        Assert.Equal(secretText, stream.ResponseStream.Current.Message.Content);
        await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = secretText, RequestId = NewId(),
        });
        await FailsWith(StatusCode.InvalidArgument, () => client.SendAsync(conversation.Id, SenderType.Customer, secretText + new string('x', 70_000)));
        await FailsWith(StatusCode.Unauthenticated, () => server.ClientWith(unknownKey).GetAsync(conversation.Id));
        var listed = await client.AllMessagesAsync(conversation.Id);
        Assert.Contains(listed, m => m.Content == secretText);

        await Eventually(() => Task.FromResult(server.AllOutput.Contains("ListMessages")), "the last call's log line");
        var output = server.AllOutput;
        Assert.True(output.Split('\n').Length > 100, "Trace level logs plenty");
        Assert.DoesNotContain(server.AdminKey, output);
        Assert.DoesNotContain(unknownKey, output);
        Assert.DoesNotContain("4111 1111", output);
    }

    [Fact]
    public async Task EachCallLogsOneJsonLineWithTheCallersTraceId()
    {
        using var server = new ObservedServer(new Dictionary<string, string>
        {
            ["Logging:Console:FormatterName"] = "json",
            ["Logging:LogLevel:Timely.Server.Api.CallInterceptor"] = "Debug",
        });
        var conversation = await server.Client.CreateAsync();
        var traceId = ActivityTraceId.CreateRandom();
        var traceparent = $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        await server.Client.SendMessageAsync(
            new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "hello" },
            new Metadata { { "traceparent", traceparent } });
        await FailsWith(StatusCode.NotFound, () => server.Client.GetAsync(NewId()));

        await Eventually(() => Task.FromResult(CallLines(server.AllOutput).Count(l => l.Method.EndsWith("/GetConversation")) == 1), "the log line of the last call");
        var lines = CallLines(server.AllOutput);
        var sent = Assert.Single(lines, l => l.Method.EndsWith("/SendMessage"));
        Assert.Equal(("Debug", "default", traceId.ToHexString()), (sent.Level, sent.Workspace, sent.TraceId));
        Assert.True(sent.ElapsedMs > 0);
        var refused = Assert.Single(lines, l => l.Method.EndsWith("/GetConversation"));
        Assert.Equal(("Information", "NotFound", "default"), (refused.Level, refused.Status, refused.Workspace));
        Assert.Matches("^[0-9a-f]{32}$", refused.TraceId);
        Assert.NotEqual(traceId.ToHexString(), refused.TraceId);
    }

    /// <summary>At the levels the server ships with, a call that succeeds logs nothing: in particular not
    /// Npgsql's line per command (Information), which on PostgreSQL was several lines of SQL per call.</summary>
    [Fact]
    public async Task AtTheShippedLevelsOnlyRefusedCallsLog()
    {
        using var server = new ObservedServer(new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Information",   // as appsettings.json has it (test servers log at Warning)
            ["Logging:Console:FormatterName"] = "json",
        });
        var conversation = await server.Client.CreateAsync();
        await server.Client.SendAsync(conversation.Id, SenderType.Customer);
        await server.Client.GetAsync(conversation.Id);
        await FailsWith(StatusCode.NotFound, () => server.Client.GetAsync(NewId()));

        await Eventually(() => Task.FromResult(CallLines(server.AllOutput).Count != 0), "the refused call's log line");
        var refused = Assert.Single(CallLines(server.AllOutput));
        Assert.Equal("NotFound", refused.Status);
        var categories = server.AllOutput.Split('\n').Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(json => json.GetProperty("LogLevel").GetString() is "Information" or "Debug" or "Trace")
            .Select(json => json.GetProperty("Category").GetString()).ToList();
        Assert.DoesNotContain(categories, c => c!.StartsWith("Npgsql", StringComparison.Ordinal));
    }

    private sealed record CallLine(string Level, string Method, string? Status, string? Workspace, string TraceId, double ElapsedMs);

    /// <summary>The JSON lines of the call log.</summary>
    private static List<CallLine> CallLines(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith('{') && l.Contains("Timely.Server.Api.CallInterceptor")).Select(l =>
        {
            var json = JsonDocument.Parse(l).RootElement;
            var state = json.GetProperty("State");
            return new CallLine(
                json.GetProperty("LogLevel").GetString()!,
                state.GetProperty("Method").GetString()!,
                state.TryGetProperty("StatusCode", out var status) ? status.GetString() : null,
                state.GetProperty("Workspace").GetString(),
                state.GetProperty("TraceId").GetString()!,
                state.GetProperty("ElapsedMs") is { ValueKind: JsonValueKind.Number } ms ? ms.GetDouble()
                    : double.Parse(state.GetProperty("ElapsedMs").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        })];
}
