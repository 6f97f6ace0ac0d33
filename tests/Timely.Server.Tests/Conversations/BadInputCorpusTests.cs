using System.Collections;
using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Timely.Conversations.V1;
using Limits = Timely.Server.Domain.Limits;
using Timely.Server.Tests.Infrastructure;
using Xunit.Abstractions;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>Issue 14's bad-input corpus, generated from the contract: every field of every request
/// (nested ones included) gets each bad value in turn, on a valid baseline request of its RPC. Every
/// case answers OK or a client error (never INTERNAL, UNKNOWN or a hang), a refused call leaves
/// every table as it was, and the server still serves afterwards. Raw, malformed frames too, on
/// both ports.</summary>
public sealed class BadInputCorpusTests(TimelyServer server, ITestOutputHelper output) : IClassFixture<TimelyServer>
{
    private static readonly ServiceDescriptor Service = ConversationService.Descriptor;

    /// <summary>The answers a bad request may get: OK (the value is acceptable there) or an error
    /// that tells the client what to change. INTERNAL, UNKNOWN, DEADLINE_EXCEEDED (a hang),
    /// UNAVAILABLE and UNIMPLEMENTED are server failures.</summary>
    private static readonly HashSet<StatusCode> Acceptable =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition,
        StatusCode.Aborted, StatusCode.OutOfRange, StatusCode.ResourceExhausted, StatusCode.PermissionDenied,
    ];

    private static readonly string[] Tables = ["conversations", "messages", "events", "request_ids", "inbound_messages", "conversation_tags"];

    /// <summary>The cap of each repeated field (Domain/Limits.cs) and a valid entry to fill it with.</summary>
    private static readonly Dictionary<string, (int Cap, Func<int, object> Entry)> Caps = new()
    {
        ["tags"] = (Limits.MaxTags, i => $"t{i}"),
        ["statuses"] = (Limits.MaxStatusFilterEntries, i => (ConversationStatus)(i % 4 + 1)),
        ["paths"] = (Limits.MaxUpdateMaskPaths, i => i % 2 == 0 ? "subject" : "tags"),
        ["metadata"] = (Limits.MaxMetadataEntries, i => $"k{i}"),
        ["read_horizons"] = (Timely.Server.Domain.Receipts.MaxListedHorizons, i => new ReadHorizon { ReadSequence = i }),
    };

    private readonly CorpusInvoker invoker = new(server);
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    private static IEnumerable<RequestField> Fields => RequestField.All(Service);

    [Fact]
    public async Task EveryRpcHasABaselineThatIsAccepted()
    {
        foreach (var rpc in RequestField.Callable(Service))
        {
            var status = await invoker.CallAsync(rpc, await BaselineAsync(rpc));
            Assert.True(status.StatusCode == StatusCode.OK, $"{rpc.Name} baseline: {status.StatusCode} {status.Detail}");
        }
    }

    [Fact]
    public async Task BadTextAndNumbersInEveryFieldAreClientErrors()
    {
        var strings = new (string Name, string Value, bool LoneSurrogate)[]
        {
            ("empty", "", false),
            ("10,000 characters", new string('x', 10_000), false),
            ("NUL inside", "a\0b", false),
            ("not-a-uuid", "not-a-uuid", false),
            ("SQL", "'; DROP TABLE conversations; --", false),
            ("emoji", "😀", false),
            ("lone surrogate", "a" + CorpusInvoker.SurrogateMarker + "b", true),
        };
        var cases = new List<CorpusCase>();
        foreach (var field in Fields)
        {
            var leaf = field.Leaf;
            if (leaf.IsMap)
            {
                foreach (var (name, value, lone) in strings)
                {
                    cases.Add(field.Case($"key {name}", (m, f) => Fill((IDictionary)f.Accessor.GetValue(m), 1, _ => value), lone));
                    cases.Add(field.Case($"value {name}", (m, f) => ((IDictionary)f.Accessor.GetValue(m))["k"] = value, lone));
                }
            }
            else if (leaf.FieldType == FieldType.String)
            {
                foreach (var (name, value, lone) in strings)
                {
                    cases.Add(leaf.IsRepeated
                        ? field.Case($"[{name}]", (m, f) => Fill((IList)f.Accessor.GetValue(m), 1, _ => value), lone)
                        : field.Case(name, (m, f) => f.Accessor.SetValue(m, value), lone));
                }
            }
            else if (leaf.FieldType == FieldType.Int32)
            {
                foreach (var value in new[] { -1, int.MinValue, int.MaxValue })
                {
                    cases.Add(field.Case(value.ToString(), (m, f) => f.Accessor.SetValue(m, value)));
                }
            }
            else if (leaf.FieldType == FieldType.Int64)
            {
                foreach (var value in new[] { -1, long.MinValue, long.MaxValue })
                {
                    cases.Add(field.Case(value.ToString(), (m, f) => f.Accessor.SetValue(m, value)));
                }
            }
        }
        await RunAsync(cases, "text and number");
    }

    [Fact]
    public async Task EveryRepeatedFieldAtItsCapAndOneOver()
    {
        var cases = new List<CorpusCase>();
        foreach (var field in Fields.Where(f => f.Leaf.IsRepeated))
        {
            Assert.True(Caps.TryGetValue(field.Leaf.Name, out var cap),
                $"{field.Rpc.Name} {field.Name} is repeated but has no cap in this corpus: give it one (Domain/Limits.cs) and add it to Caps");
            foreach (var count in new[] { cap.Cap, cap.Cap + 1 })
            {
                cases.Add(field.Case($"{count} entries", (m, f) =>
                {
                    if (f.IsMap)
                    {
                        Fill((IDictionary)f.Accessor.GetValue(m), count, cap.Entry);
                    }
                    else
                    {
                        Fill((IList)f.Accessor.GetValue(m), count, cap.Entry);
                    }
                }) with { Expected = count > cap.Cap ? StatusCode.InvalidArgument : StatusCode.OK });
            }
        }
        await RunAsync(cases, "repeated");
    }

    [Fact]
    public async Task UnknownEnumNumbersAreClientErrors()
    {
        var cases = new List<CorpusCase>();
        foreach (var field in Fields.Where(f => f.Leaf.FieldType == FieldType.Enum))
        {
            foreach (var number in new[] { 99, -1 })
            {
                cases.Add(field.Case(number.ToString(), (m, f) =>
                {
                    var value = System.Enum.ToObject(f.EnumType.ClrType, number);
                    if (f.IsRepeated)
                    {
                        Fill((IList)f.Accessor.GetValue(m), 1, _ => value);
                    }
                    else
                    {
                        f.Accessor.SetValue(m, value);
                    }
                }));
            }
        }
        await RunAsync(cases, "enum");
    }

    [Fact]
    public async Task TimestampsAtTheProtobufExtremesAreClientErrors()
    {
        const long min = -62135596800, max = 253402300799;   // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z
        var values = new (string Name, long Seconds, int Nanos)[]
        {
            ("min", min, 0), ("max", max, 999_999_999), ("min - 1 s", min - 1, 0), ("max + 1 s", max + 1, 0),
            ("nanos 1e9", 0, 1_000_000_000), ("nanos -1", 0, -1),
        };
        var cases = new List<CorpusCase>();
        foreach (var field in Fields.Where(f => f.IsTimestamp))
        {
            foreach (var (name, seconds, nanos) in values)
            {
                cases.Add(field.Case(name, (m, f) => f.Accessor.SetValue(m, new Timestamp { Seconds = seconds, Nanos = nanos })));
            }
        }
        await RunAsync(cases, "timestamp");
    }

    public static TheoryData<string> Ports => new() { "grpc", "grpc-web" };

    [Theory]
    [MemberData(nameof(Ports))]
    public async Task UnreadableRequestsAreInvalidArgumentOnBothPorts(string port)
    {
        var valid = (await BaselineAsync(Rpc("SendMessage"))).ToByteArray();
        var garbage = new byte[64];
        new Random(14).NextBytes(garbage);
        var bodies = new (string Name, byte[] Body)[]
        {
            ("random garbage", garbage),
            ("no message", []),
            ("prefix announcing 100 bytes, then 10", [.. Prefix(0, 100), .. new byte[10]]),
            ("a prefix cut short", [0, 0, 0]),
            ("invalid protobuf", [.. Prefix(0, 2), 0x0F, 0x01]),   // field 1 with wire type 7, which does not exist
            ("compressed flag without grpc-encoding", [.. Prefix(1, valid.Length), .. valid]),
            ("two messages", [.. Prefix(0, valid.Length), .. valid, .. Prefix(0, valid.Length), .. valid]),
        };
        var failures = new List<string>();
        using var http = RawClient(port);
        foreach (var (name, body) in bodies)
        {
            var before = await RowCountsAsync();
            var (status, message) = await PostAsync(http, port, body);
            output.WriteLine($"{port} '{name}': {status} ({message})");
            if (status is not (StatusCode.InvalidArgument or StatusCode.ResourceExhausted))
            {
                failures.Add($"{port} SendMessage raw body '{name}': {status} ({message})");
            }
            else if (await RowCountsAsync() is var after && after != before)
            {
                failures.Add($"{port} SendMessage raw body '{name}': {status}, but the store changed: {before} -> {after}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {bodies.Length} raw bodies failed:\n{string.Join("\n", failures)}");
        await AssertServerStillServesAsync();
    }

    private async Task RunAsync(List<CorpusCase> cases, string kind)
    {
        Assert.NotEmpty(cases);
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var request = await BaselineAsync(c.Rpc);
            c.Mutate(request);
            var before = await RowCountsAsync();
            var status = await invoker.CallAsync(c.Rpc, request, c.LoneSurrogate);
            if (c.Expected is { } expected ? status.StatusCode != expected : !Acceptable.Contains(status.StatusCode))
            {
                failures.Add($"{c}: {status.StatusCode}{(c.Expected is { } e ? $", expected {e}" : "")} ({status.Detail})");
            }
            else if (status.StatusCode != StatusCode.OK && await RowCountsAsync() is var after && after != before)
            {
                failures.Add($"{c}: {status.StatusCode}, but the store changed: {before} -> {after}");
            }
        }
        output.WriteLine($"{cases.Count} {kind} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} {kind} cases failed:\n{string.Join("\n", failures)}");
        await AssertServerStillServesAsync();
    }

    /// <summary>One valid request per RPC, on a conversation made for it (so a lifecycle call that
    /// succeeds does not change what the next case starts from).</summary>
    private async Task<string> AiMessageAsync(Conversation conversation) =>
        (await client.SendAsync(conversation.Id, SenderType.AiAgent, "hi")).Message.Id;

    private async Task<IMessage> BaselineAsync(MethodDescriptor rpc)
    {
        var conversation = await client.CreateAsync(subject: "corpus", tags: "a");
        return rpc.Name switch
        {
            "CreateConversation" => new CreateConversationRequest
            {
                AgentId = NewId(), ChannelId = NewId(), ContactId = NewId(), Subject = "s", Tags = { "a" }, RequestId = NewId(),
            },
            "GetConversation" => new GetConversationRequest { Id = conversation.Id },
            "ListConversations" => new ListConversationsRequest
            {
                AgentId = conversation.AgentId, Statuses = { ConversationStatus.Open }, PageSize = 10, Tag = "a",
                CreatedAfter = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
            },
            "SearchMessages" => new SearchMessagesRequest
            {
                Query = "corpus* -spam", AgentId = conversation.AgentId, Statuses = { ConversationStatus.Open }, PageSize = 10, Tag = "a",
                CreatedAfter = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
            },
            "SearchConversations" => new SearchConversationsRequest
            {
                Query = "corpus* -spam", AgentId = conversation.AgentId, Statuses = { ConversationStatus.Open }, PageSize = 10, Tag = "a",
                CreatedAfter = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
            },
            "UpdateConversation" => new UpdateConversationRequest
            {
                Conversation = new Conversation { Id = conversation.Id, Subject = "s2", Tags = { "b" }, Etag = conversation.Etag },
                UpdateMask = new FieldMask { Paths = { "subject", "tags" } },
            },
            "HandoffConversation" => new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId(), Etag = conversation.Etag },
            "ResumeConversation" => new ResumeConversationRequest
            {
                Id = conversation.Id,
                Etag = (await client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId() })).Conversation.Etag,
            },
            "CloseConversation" => new CloseConversationRequest { Id = conversation.Id, Etag = conversation.Etag },
            "SendMessage" => new SendMessageRequest
            {
                ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "hi", MessageType = MessageType.Text,
                Metadata = { ["k"] = "v" }, RequestId = NewId(),
            },
            "ListMessages" => new ListMessagesRequest { ConversationId = conversation.Id, PageSize = 10 },
            "IngestCustomerMessage" => new IngestCustomerMessageRequest
            {
                ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = "hi", ExternalId = NewId(),
                MessageType = MessageType.Text, Metadata = { ["k"] = "v" }, RequestId = NewId(),
            },
            "StreamMessages" => new StreamMessagesRequest { ConversationId = conversation.Id },
            "WatchConversations" => new WatchConversationsRequest
            {
                AgentId = conversation.AgentId, ChannelId = conversation.ChannelId, ConversationId = conversation.Id,
                Statuses = { ConversationStatus.Open },
            },
            "SetActivity" => new SetActivityRequest
            {
                ConversationId = conversation.Id, Kind = AgentActivityKind.Typing, SenderType = SenderType.AiAgent, SenderId = conversation.AgentId,
                Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
            },
            "UpdateDeliveryStatus" => new UpdateDeliveryStatusRequest
            {
                ConversationId = conversation.Id, MessageId = await AiMessageAsync(conversation), ExternalId = NewId(), Status = DeliveryStatus.Delivered,
                OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            },
            "MarkRead" => new MarkReadRequest
            {
                ConversationId = conversation.Id, ParticipantType = ReadParticipantType.HumanAgent, ParticipantId = NewId(),
                UpToSequence = (await client.SendAsync(conversation.Id, SenderType.Customer, "hi")).Message.Sequence,
            },
            "EditMessage" => new EditMessageRequest
            {
                ConversationId = conversation.Id, MessageId = await AiMessageAsync(conversation), Content = "fixed", Revision = 1,
                EditorType = SenderType.HumanAgent, EditorId = NewId(),
            },
            "RedactMessage" => new RedactMessageRequest { ConversationId = conversation.Id, MessageId = await AiMessageAsync(conversation) },
            "GetMessage" => new GetMessageRequest { ConversationId = conversation.Id, MessageId = await AiMessageAsync(conversation) },
            "ListMessageRevisions" => new ListMessageRevisionsRequest { ConversationId = conversation.Id, MessageId = await AiMessageAsync(conversation) },
            _ => throw new InvalidOperationException($"{rpc.Name} has no baseline request in the corpus: add one"),
        };
    }

    private static MethodDescriptor Rpc(string name) => Service.Methods.Single(m => m.Name == name);

    private static void Fill(IList list, int count, Func<int, object> entry)
    {
        list.Clear();
        for (var i = 0; i < count; i++)
        {
            list.Add(entry(i));
        }
    }

    private static void Fill(IDictionary map, int count, Func<int, object> key)
    {
        map.Clear();
        for (var i = 0; i < count; i++)
        {
            map[key(i)] = "v";
        }
    }

    /// <summary>The row count of every table a call may write, as one line.</summary>
    private async Task<string> RowCountsAsync()
    {
        await using var connection = await server.GetService<Storage.StoreDialect>().OpenAsync(CancellationToken.None);
        var sql = "SELECT " + string.Join(", ", Tables.Select(t => $"(SELECT COUNT(*) FROM {t}) AS {t}"));
        var row = (IDictionary<string, object>)await connection.QuerySingleAsync(sql);
        return string.Join(" ", Tables.Select(t => $"{t}={row[t]}"));
    }

    private async Task AssertServerStillServesAsync()
    {
        var health = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        var conversation = await client.CreateAsync();
        Assert.Equal(1, (await client.SendAsync(conversation.Id, SenderType.Customer)).Message.Sequence);
    }

    private static byte[] Prefix(byte flags, int length) =>
        [flags, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];

    private HttpClient RawClient(string port) => port == "grpc"
        ? new HttpClient(new SocketsHttpHandler())
        {
            BaseAddress = new Uri($"http://127.0.0.1:{server.GrpcPort}"),
            DefaultRequestVersion = HttpVersion.Version20,
            Timeout = TimeSpan.FromSeconds(10),
        }
        : new HttpClient(new SocketsHttpHandler())
        {
            BaseAddress = new Uri($"http://127.0.0.1:{server.WebPort}"),
            DefaultRequestVersion = HttpVersion.Version11,
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>Posts <paramref name="body"/> as SendMessage's request and reads the gRPC status:
    /// from the trailers, the headers of a trailers-only answer, or grpc-web's trailer frame.</summary>
    private async Task<(StatusCode? Status, string? Message)> PostAsync(HttpClient http, string port, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/timely.conversations.v1.ConversationService/SendMessage")
        {
            Content = new ByteArrayContent(body),
            Version = http.DefaultRequestVersion,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(port == "grpc" ? "application/grpc" : "application/grpc-web+proto");
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + server.AdminKey);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await http.SendAsync(request);
        var content = await response.Content.ReadAsByteArrayAsync();
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.TrailingHeaders))
        {
            fields[name] = string.Join(",", values);
        }
        for (var at = 0; at + 5 <= content.Length;)
        {
            var length = (content[at + 1] << 24) | (content[at + 2] << 16) | (content[at + 3] << 8) | content[at + 4];
            if ((content[at] & 0x80) != 0)
            {
                foreach (var line in System.Text.Encoding.ASCII.GetString(content, at + 5, length).Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
                {
                    var colon = line.IndexOf(':');
                    fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }
            }
            at += 5 + length;
        }
        return (fields.TryGetValue("grpc-status", out var code) ? (StatusCode)int.Parse(code) : null,
            fields.GetValueOrDefault("grpc-message") ?? $"HTTP {(int)response.StatusCode}");
    }
}
