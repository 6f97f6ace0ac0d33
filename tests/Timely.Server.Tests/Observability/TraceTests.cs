using System.Diagnostics;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Timely.Conversations.V1;
using Timely.Server.Observability;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.Observability;

/// <summary>The server's spans, caught by OpenTelemetry's in-memory exporter: a call joins the caller's trace,
/// names its workspace and conversation (never the key), and holds its store transactions (and, on
/// PostgreSQL, Npgsql's command spans inside them) and the fan-out to live subscribers.</summary>
public sealed class TraceTests : IDisposable
{
    private static readonly ActivitySource Caller = new("Timely.Server.Tests.Caller");
    private readonly List<Activity> spans = [];
    private readonly TracedServer server;

    public TraceTests() => server = new TracedServer(spans);

    [Fact]
    public async Task ACallsSpanJoinsTheCallersTraceAndHoldsItsStoreTransactions()
    {
        var conversation = await server.Client.CreateAsync();
        using var stream = server.Client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id });
        await stream.ResponseHeadersAsync;
        ActivityTraceId traceId;
        using (var caller = Caller.StartActivity("caller"))
        {
            traceId = caller!.TraceId;
            await server.Client.SendAsync(conversation.Id, SenderType.Customer);
        }
        Assert.True(await stream.ResponseStream.MoveNext());

        List<Activity> trace = [];
        await Fixtures.Eventually(() =>
        {
            lock (spans)
            {
                trace = [.. spans.Where(s => s.TraceId == traceId)];
            }
            return Task.FromResult(trace.Any(s => s.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn"));
        }, "the server's span of the call");
        var call = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
        Assert.Equal("default", call.GetTagItem(TimelyTracing.WorkspaceAttribute));
        Assert.Equal(conversation.Id, call.GetTagItem(TimelyTracing.ConversationAttribute));
        Assert.DoesNotContain(trace.SelectMany(s => s.TagObjects), t => t.Value?.ToString()?.Contains(server.AdminKey) == true);

        var write = Assert.Single(trace, s => s.DisplayName == "store write");
        Assert.Equal(call.SpanId, write.ParentSpanId);
        Assert.Contains(trace, s => s.DisplayName == "feed fan-out" && s.ParentSpanId == call.SpanId);
        var commands = trace.Where(s => s.Source.Name == "Npgsql" && s.ParentSpanId == write.SpanId).ToList();
        if (server.Postgres is null)
        {
            Assert.Empty(commands);
        }
        else
        {
            Assert.NotEmpty(commands);
        }
    }

    public void Dispose() => server.Dispose();

    /// <summary>The real server with its tracing exported to memory (and the test's own caller spans sampled).</summary>
    private sealed class TracedServer(List<Activity> spans) : TimelyServer
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.AddOpenTelemetry().WithTracing(t =>
                ObservabilitySetup.Instrument(t).AddSource(Caller.Name).AddProcessor(new SimpleActivityExportProcessor(new Memory(spans)))));
        }
    }

    /// <summary>Keeps the spans, under the lock the test reads them with.</summary>
    private sealed class Memory(List<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            lock (spans)
            {
                foreach (var span in batch)
                {
                    spans.Add(span);
                }
            }
            return ExportResult.Success;
        }
    }
}
