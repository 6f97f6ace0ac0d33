using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Testing;

namespace Timely.Client.Tests;

/// <summary>The SDK scenarios of tests/sdk-scenarios/scenarios.json (the same for C#, JS and Python), each a
/// theory case run through this SDK's public API against one server process. The vocabulary is in
/// tests/sdk-scenarios/README.md; results go to $TIMELY_TEST_OUTPUT/sdk-scenarios/csharp.jsonl.</summary>
public sealed class ScenarioTests(ScenarioServer fixture) : IClassFixture<ScenarioServer>
{
    private const string Runner = "csharp";

    private static readonly JsonNode Suite = JsonNode.Parse(Repository.ReadFile("tests/sdk-scenarios/scenarios.json"))!;

    private static readonly JsonArray All = Suite["scenarios"]!.AsArray();

    private static readonly string? ResultsFile = PrepareResults();

    public static TheoryData<string> Scenarios()
    {
        var names = new TheoryData<string>();
        foreach (var scenario in All)
        {
            if (scenario!["only"] is not JsonArray only || only.Any(r => (string?)r == Runner))
            {
                names.Add((string)scenario["name"]!);
            }
        }
        return names;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario(string name)
    {
        var scenario = All.Single(s => (string?)s!["name"] == name)!;
        var stopwatch = Stopwatch.StartNew();
        Exception? failure = null;
        var run = new ScenarioRun(fixture.Server);
        foreach (var id in scenario["ids"]?.AsArray() ?? [])
        {
            run.Vars[(string)id!] = Guid.NewGuid().ToString();
        }
        try
        {
            await run.StepsAsync(scenario["steps"]!.AsArray());
        }
        catch (Exception e)
        {
            failure = e;
        }
        await run.EndAsync();
        if (ResultsFile is not null)
        {
            var line = new JsonObject { ["scenario"] = name, ["runner"] = Runner, ["pass"] = failure is null, ["ms"] = stopwatch.ElapsedMilliseconds };
            if (failure is not null)
            {
                line["error"] = failure.Message;
            }
            File.AppendAllText(ResultsFile, line.ToJsonString() + "\n");
        }
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>The settings of the scenarios' server (its environment), from scenarios.json.</summary>
    internal static Dictionary<string, string> ServerSettings() =>
        Suite["server"]?.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!) ?? [];

    private static string? PrepareResults()
    {
        if (Environment.GetEnvironmentVariable("TIMELY_TEST_OUTPUT") is not { Length: > 0 } output)
        {
            return null;
        }
        var file = Path.Combine(output, "sdk-scenarios", Runner + ".jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.Delete(file);
        return file;
    }
}

/// <summary>The server the scenarios run against, with the settings of scenarios.json.</summary>
public sealed class ScenarioServer : IDisposable
{
    public SdkServer Server { get; } = new(ScenarioTests.ServerSettings());

    public void Dispose() => Server.Dispose();
}

/// <summary>One scenario's run: its client, its named results and its open streams.</summary>
internal sealed class ScenarioRun(SdkServer server)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private readonly TimelyClient timely = server.NewClient();
    private readonly Dictionary<string, OpenStream> streams = [];
    private Task? pendingStart;
    private bool down;

    public Dictionary<string, JsonNode?> Vars { get; } = [];

    public async Task StepsAsync(JsonArray steps)
    {
        foreach (var step in steps.Select(s => s!.AsObject()))
        {
            if (step["repeat"] is { } times && step["steps"] is JsonArray group)
            {
                for (var i = 1; i <= (int)times; i++)
                {
                    Vars["i"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);   // "$i", the iteration (1, 2, ...), as a string
                    await StepsAsync(group);
                }
            }
            else if (step["call"] is { } call)
            {
                await CallAsync((string)call!, step);
            }
            else if (step["server"] is { } action)
            {
                await ServerAsync((string)action!, step);
            }
            else if (step["open"] is { } kind)
            {
                await OpenAsync((string)kind!, step);
            }
            else if (step["subscribed"] is { } subscribed)
            {
                await SubscribedAsync(Stream((string)subscribed!));
            }
            else if (step["pause"] is { } pause)
            {
                Stream((string)pause!).Pause();
            }
            else if (step["unpause"] is { } unpause)
            {
                await Task.Delay((int?)step["afterMs"] ?? 0);
                Stream((string)unpause!).Unpause();
            }
            else if (step["next"] is { } next)
            {
                await NextAsync(Stream((string)next!), (int)step["count"]!, step["expect"]);
            }
            else
            {
                throw new InvalidOperationException($"unknown step {step.ToJsonString()}");
            }
        }
    }

    private async Task CallAsync(string name, JsonObject step)
    {
        var method = typeof(ConversationService.ConversationServiceClient).GetMethods()
            .Single(m => m.Name == name + "Async" && m.GetParameters() is [_, { ParameterType: var options }] && options == typeof(CallOptions));
        var descriptor = (MessageDescriptor)method.GetParameters()[0].ParameterType.GetProperty("Descriptor")!.GetValue(null)!;
        var request = descriptor.Parser.ParseJson(Resolve(step["request"] ?? new JsonObject())!.ToJsonString());
        var callOptions = step["deadlineMs"] is { } deadline ? new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds((int)deadline)) : new CallOptions();
        var stopwatch = Stopwatch.StartNew();
        var responses = new List<JsonNode>();
        RpcException? error = null;
        try
        {
            for (var k = 0; k < ((int?)step["repeat"] ?? 1); k++)   // the same request object each time
            {
                var invocation = method.Invoke(timely, [request, callOptions])!;
                using var disposable = (IDisposable)invocation;
                var response = (Task)invocation.GetType().GetProperty("ResponseAsync")!.GetValue(invocation)!;
                await response;
                responses.Add(JsonNode.Parse(Formatter.Format((IMessage)response.GetType().GetProperty("Result")!.GetValue(response)!))!);
            }
        }
        catch (RpcException e)
        {
            error = e;
        }
        if (step["withinMs"] is { } within)
        {
            Assert.True(stopwatch.ElapsedMilliseconds <= (int)within, $"{name} took {stopwatch.ElapsedMilliseconds} ms, more than {within}");
        }
        if (step["error"] is JsonObject expected)
        {
            Assert.True(error is not null, $"{name} succeeded, expected {expected["status"]}");
            Assert.Equal((string)expected["status"]!, StatusName(error.StatusCode));
            var status = error.GetRpcStatus();
            if (expected["reason"] is { } reason)
            {
                Assert.Equal((string)reason!, status?.GetDetail<ErrorInfo>()?.Reason);
            }
            if (expected["field"] is { } field)
            {
                Assert.Contains((string)field!, status?.GetDetail<BadRequest>()?.FieldViolations.Select(v => v.Field) ?? []);
            }
            return;
        }
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
        foreach (var response in responses.Skip(1))
        {
            Assert.True(JsonNode.DeepEquals(responses[0], response), "a repeated request answered differently");
        }
        if (step["as"] is { } saveAs)
        {
            Vars[(string)saveAs!] = responses[0];
        }
        Check(step["expect"], responses[0]);
    }

    private async Task ServerAsync(string action, JsonObject step)
    {
        if (pendingStart is not null)
        {
            await pendingStart;
            pendingStart = null;
        }
        switch (action)
        {
            case "kill":
                server.Process.Kill();
                down = true;
                break;
            case "terminate":
                await server.Process.TerminateAsync(TimeSpan.FromSeconds(30));
                down = true;
                break;
            case "start" when step["afterMs"] is { } after:
                pendingStart = Task.Run(async () =>
                {
                    await Task.Delay((int)after);
                    await StartAsync();
                });
                break;
            case "start":
                await StartAsync();
                break;
            default:
                throw new InvalidOperationException($"unknown server action {action}");
        }
    }

    private async Task StartAsync()
    {
        await server.Process.StartAsync();
        down = false;
    }

    private async Task OpenAsync(string kind, JsonObject step)
    {
        var stream = new OpenStream(kind);
        var json = Resolve(step["request"] ?? new JsonObject())!.ToJsonString();
        IAsyncEnumerable<IMessage> items = kind switch
        {
            "StreamMessages" => StreamMessages(StreamMessagesRequest.Parser.ParseJson(json)),
            "WatchConversations" => timely.WatchConversationsAsync(WatchConversationsRequest.Parser.ParseJson(json), stream.Subscribed, stream.Cancellation.Token),
            _ => throw new InvalidOperationException($"unknown stream {kind}"),
        };
        streams[(string)step["as"]!] = stream;
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in items)
                {
                    stream.Add(JsonNode.Parse(Formatter.Format(item))!);
                    await stream.ReadingAsync();
                }
            }
            catch (Exception e) when (!stream.Cancellation.IsCancellationRequested)
            {
                stream.Fail(e);
            }
            catch (OperationCanceledException)
            {
                // Ended by the scenario.
            }
        });
        await SubscribedAsync(stream);

        IAsyncEnumerable<IMessage> StreamMessages(StreamMessagesRequest request) =>
            timely.StreamMessagesAsync(request.ConversationId, request.AfterSequence, stream.Subscribed, stream.Cancellation.Token);
    }

    /// <summary>Waits until the stream's onSubscribed hook ran again: it is live (again).</summary>
    private static async Task SubscribedAsync(OpenStream stream)
    {
        await Until(() => stream.Subscriptions > stream.WaitedSubscriptions || stream.Error is not null, "the stream to subscribe");
        if (stream.Error is not null)
        {
            ExceptionDispatchInfo.Throw(stream.Error);
        }
        stream.WaitedSubscriptions = stream.Subscriptions;
    }

    private async Task NextAsync(OpenStream stream, int count, JsonNode? expect)
    {
        await Until(() => stream.Count >= stream.Read + count || stream.Error is not null, $"{count} items");
        var items = new JsonArray(stream.Take(count).Select(i => i.DeepClone()).ToArray());
        Check(expect, new JsonObject { ["items"] = items });
    }

    private OpenStream Stream(string name) => streams.TryGetValue(name, out var stream) ? stream : throw new InvalidOperationException($"no stream {name}");

    /// <summary>Ends the streams and leaves the server running for the next scenario, whatever happened.</summary>
    public async Task EndAsync()
    {
        foreach (var stream in streams.Values)
        {
            await stream.Cancellation.CancelAsync();
        }
        try
        {
            await (pendingStart ?? Task.CompletedTask);
        }
        catch (Exception)
        {
            // The scenario failed already; the server is started below.
        }
        if (down)
        {
            await StartAsync();
        }
        timely.Dispose();
    }

    private JsonNode? Resolve(JsonNode? value) => value switch
    {
        JsonArray array => new JsonArray(array.Select(Resolve).ToArray()),
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Resolve(p.Value)))),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && (string)v! is ['$', ..] reference && reference != "$nonempty" => Reference(reference),
        _ => value?.DeepClone(),
    };

    private JsonNode? Reference(string reference)
    {
        if (reference == "$uuid")
        {
            return Guid.NewGuid().ToString();
        }
        if (reference.StartsWith("$text:", StringComparison.Ordinal))
        {
            return new string('x', int.Parse(reference["$text:".Length..], System.Globalization.CultureInfo.InvariantCulture));
        }
        var path = reference[1..].Split('.');
        Assert.True(Vars.ContainsKey(path[0]), $"unknown reference {reference}");
        return Lookup(Vars[path[0]], path.Skip(1))?.DeepClone();
    }

    private void Check(JsonNode? expect, JsonNode actual)
    {
        foreach (var (path, wanted) in expect?.AsObject() ?? [])
        {
            var got = Lookup(actual, path.Split('.'));
            if (wanted is JsonValue w && w.GetValueKind() == JsonValueKind.String && (string)w! == "$nonempty")
            {
                Assert.False(Canonical(got) is "" or "[]", $"{path} is empty");
            }
            else
            {
                Assert.True(Canonical(Resolve(wanted)) == Canonical(got), $"{path}: expected {Canonical(Resolve(wanted))}, got {Canonical(got)}");
            }
        }
    }

    private static JsonNode? Lookup(JsonNode? value, IEnumerable<string> path)
    {
        foreach (var segment in path)
        {
            value = value switch
            {
                JsonArray array when segment == "length" => array.Count,
                JsonArray array => int.TryParse(segment, out var index) && index < array.Count ? array[index] : null,
                JsonObject obj => obj[segment],
                _ => null,
            };
        }
        return value;
    }

    private static string Canonical(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v!,
        _ => value.ToJsonString(),
    };

    /// <summary>gRPC's name of a code: StatusCode.FailedPrecondition is "FAILED_PRECONDITION".</summary>
    private static string StatusName(StatusCode code) => Regex.Replace(code.ToString(), "(?<=[a-z])(?=[A-Z])", "_").ToUpperInvariant();

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>A stream opened by an "open" step: its items so far (as proto JSON), and how often its hook ran.</summary>
    private sealed class OpenStream(string kind)
    {
        private readonly List<JsonNode> items = [];
        private int subscriptions;
        private volatile TaskCompletionSource? paused;

        public CancellationTokenSource Cancellation { get; } = new(TimeSpan.FromMinutes(3));

        public int Subscriptions => Volatile.Read(ref subscriptions);

        public int WaitedSubscriptions { get; set; }

        public int Read { get; private set; }

        public Exception? Error { get; private set; }

        public int Count
        {
            get
            {
                lock (items)
                {
                    return items.Count;
                }
            }
        }

        public void Subscribed() => Interlocked.Increment(ref subscriptions);

        /// <summary>The reader takes no item from the SDK's stream until <see cref="Unpause"/>.</summary>
        public void Pause() => paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Unpause() => paused?.TrySetResult();

        /// <summary>Completes when the reader may take the next item (at once unless paused); the scenario's end stops the wait.</summary>
        public Task ReadingAsync() => paused?.Task.WaitAsync(Cancellation.Token) ?? Task.CompletedTask;

        /// <summary>Each item exactly once: a message stream's sequences follow each other, a watch's cursors never repeat.</summary>
        public void Add(JsonNode item)
        {
            lock (items)
            {
                if (kind == "StreamMessages" && items.Count > 0 && long.Parse((string)item["sequence"]!) != long.Parse((string)items[^1]["sequence"]!) + 1)
                {
                    Fail(new InvalidOperationException($"sequence {item["sequence"]} after {items[^1]["sequence"]}"));
                }
                if (kind == "WatchConversations" && items.Any(i => (string?)i["cursor"] == (string?)item["cursor"]))
                {
                    Fail(new InvalidOperationException($"cursor {item["cursor"]} delivered twice"));
                }
                items.Add(item);
            }
        }

        public void Fail(Exception e) => Error ??= e;

        public List<JsonNode> Take(int count)
        {
            if (Error is not null)
            {
                ExceptionDispatchInfo.Throw(Error);
            }
            lock (items)
            {
                var taken = items.Skip(Read).Take(count).ToList();
                Read += count;
                return taken;
            }
        }
    }
}
