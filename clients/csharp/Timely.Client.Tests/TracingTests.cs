using System.Diagnostics;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

/// <summary>W3C trace context from a C# caller through the SDK into the server and down to its store: the
/// server exports its spans over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT) to a receiver in this test.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task OneTraceSpansTheSdkCallTheServerCallAndTheStoreTransaction()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        using var server = new SdkServer(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        using var timely = server.NewClient();
        using var source = new ActivitySource("Timely.Client.Tests");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        string conversationId;
        ActivityTraceId traceId;
        using (var caller = source.StartActivity("agent backend handles a message"))
        {
            traceId = caller!.TraceId;
            conversationId = (await timely.CreateConversationAsync(new CreateConversationRequest
            {
                AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
            })).Conversation.Id;
            await timely.SendMessageAsync(new SendMessageRequest
            {
                ConversationId = conversationId, SenderType = SenderType.AiAgent, Content = "Hi!",
            });
        }

        var trace = traceId.ToHexString();
        ReceivedSpan? call = null;
        ReceivedSpan? write = null;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (call is null || write is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for the spans of trace {trace}; received: " +
                string.Join(", ", receiver.Spans.Select(s => $"{s.Name} ({s.TraceId})")));
            await Task.Delay(100);
            var spans = receiver.Spans.Where(s => s.TraceId == trace).ToList();
            call = spans.FirstOrDefault(s => s.Kind == 2 && s.Attributes.GetValueOrDefault("rpc.method", s.Name).Contains("SendMessage"));
            write = call is null ? null : spans.FirstOrDefault(s => s.Name == "store write" && IsUnder(s, call, spans));
        }

        // The server's span of SendMessage is the child of the SDK's call, and names its workspace and conversation.
        Assert.NotEqual("", call.ParentSpanId);
        Assert.Equal("default", call.Attributes["timely.workspace"]);
        Assert.Equal(conversationId, call.Attributes["timely.conversation.id"]);
        Assert.Equal("Timely.Server", write.Scope);
        Assert.DoesNotContain(receiver.Spans.SelectMany(s => s.Attributes.Values), v => v.Contains(server.Process.AdminKey));
    }

    private static bool IsUnder(ReceivedSpan span, ReceivedSpan ancestor, List<ReceivedSpan> trace)
    {
        for (var s = span; s is not null; s = trace.FirstOrDefault(p => p.SpanId == s.ParentSpanId))
        {
            if (s.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }
        return false;
    }
}
