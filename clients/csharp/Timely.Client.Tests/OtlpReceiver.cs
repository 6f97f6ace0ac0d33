using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Timely.Testing;

namespace Timely.Client.Tests;

/// <summary>An OTLP/HTTP receiver on loopback (real Kestrel): takes what an exporter posts to /v1/traces
/// (protobuf ExportTraceServiceRequest) and keeps its spans; answers every other signal with an empty
/// success. Decodes only the fields the tests read, by their numbers in opentelemetry-proto.</summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly List<ReceivedSpan> spans = [];

    private OtlpReceiver(WebApplication app) => this.app = app;

    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (spans)
            {
                return [.. spans];
            }
        }
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var port = ServerProcess.FreePort();
        var builder = LoopbackApp.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var receiver = new OtlpReceiver(builder.Build()) { Endpoint = new Uri($"http://127.0.0.1:{port}") };
        receiver.app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var received = Decode(body.ToArray());
            lock (receiver.spans)
            {
                receiver.spans.AddRange(received);
            }
            return Results.Bytes([], "application/x-protobuf");
        });
        receiver.app.MapPost("/v1/{signal}", () => Results.Bytes([], "application/x-protobuf"));
        await receiver.app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    // ExportTraceServiceRequest.resource_spans = 1 -> ResourceSpans.scope_spans = 2 -> ScopeSpans.scope = 1 (name = 1), spans = 2.
    private static IEnumerable<ReceivedSpan> Decode(byte[] request) =>
        from resourceSpans in Fields(request, 1)
        from scopeSpans in Fields(resourceSpans, 2)
        let scope = Fields(scopeSpans, 1).Select(s => Text(s, 1)).FirstOrDefault() ?? ""
        from span in Fields(scopeSpans, 2)
        select Span(scope, span);

    // Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, kind = 6, attributes = 9 (KeyValue: key = 1, value = 2; AnyValue.string_value = 1).
    private static ReceivedSpan Span(string scope, byte[] span)
    {
        var input = new CodedInputStream(span);
        var (traceId, spanId, parentId, name, kind) = ("", "", "", "", 0);
        var attributes = new Dictionary<string, string>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 4: parentId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 9:
                    var pair = input.ReadBytes().ToByteArray();
                    attributes[Text(pair, 1) ?? ""] = Fields(pair, 2).Select(v => Text(v, 1)).FirstOrDefault() ?? "(not a string)";
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new ReceivedSpan(scope, traceId, spanId, parentId, name, kind, attributes);
    }

    /// <summary>The length-delimited fields numbered <paramref name="number"/> of a message.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return found;
    }

    private static string? Text(byte[] message, int number) =>
        Fields(message, number).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault();
}

/// <summary>A span as received; <see cref="Kind"/> is OTLP's SpanKind (2 server, 3 client).</summary>
public sealed record ReceivedSpan(string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes);
