using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.Conversations;

/// <summary>One bad-input case: the RPC, the field path, the variant, how it edits a copy of the
/// RPC's valid baseline request, and the one answer it must get when it has exactly one.</summary>
public sealed record CorpusCase(MethodDescriptor Rpc, string Field, string Variant, Action<IMessage> Mutate, bool LoneSurrogate = false)
{
    public StatusCode? Expected { get; init; }

    public override string ToString() => $"{Rpc.Name} {Field} = {Variant}";
}

/// <summary>A field of a request, possibly nested (UpdateConversationRequest.conversation.subject),
/// read from the contract's descriptors.</summary>
public sealed record RequestField(MethodDescriptor Rpc, IReadOnlyList<FieldDescriptor> Path)
{
    public FieldDescriptor Leaf => Path[^1];

    public string Name => string.Join(".", Path.Select(f => f.Name));

    public bool IsTimestamp => Leaf.FieldType == FieldType.Message && Leaf.MessageType.FullName == "google.protobuf.Timestamp";

    /// <summary>Every field of every request of <paramref name="service"/>, nested messages walked
    /// (timestamps are leaves), in field-number order.</summary>
    public static IEnumerable<RequestField> All(ServiceDescriptor service) =>
        Callable(service).SelectMany(m => Walk(m, m.InputType, []));

    /// <summary>The RPCs the corpus calls with one request: all but the client-streaming StreamReplyDraft
    /// (its items are checked by AiNative/ReplyDraftTests).</summary>
    public static IEnumerable<MethodDescriptor> Callable(ServiceDescriptor service) => service.Methods.Where(m => !m.IsClientStreaming);

    private static IEnumerable<RequestField> Walk(MethodDescriptor rpc, MessageDescriptor message, IReadOnlyList<FieldDescriptor> prefix)
    {
        foreach (var field in message.Fields.InFieldNumberOrder())
        {
            var path = prefix.Append(field).ToList();
            var nested = field.FieldType == FieldType.Message && !field.IsMap && !field.IsRepeated
                && field.MessageType.FullName != "google.protobuf.Timestamp";
            if (nested)
            {
                foreach (var inner in Walk(rpc, field.MessageType, path))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return new RequestField(rpc, path);
            }
        }
    }

    /// <summary>The message that holds the leaf, created on the way down when unset.</summary>
    public IMessage Holder(IMessage request)
    {
        var message = request;
        foreach (var field in Path.SkipLast(1))
        {
            if (field.Accessor.GetValue(message) is not IMessage inner)
            {
                inner = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
                field.Accessor.SetValue(message, inner);
            }
            message = inner;
        }
        return message;
    }

    public CorpusCase Case(string variant, Action<IMessage, FieldDescriptor> set, bool loneSurrogate = false) =>
        new(Rpc, Name, variant, request => set(Holder(request), Leaf), loneSurrogate);
}

/// <summary>Calls any RPC of the service with any request message, built from the descriptors: a
/// unary call answers its status; a server stream answers the status it ends with, or OK once it
/// has opened (it is then cancelled). A lone surrogate cannot be written by Google.Protobuf (it
/// writes valid UTF-8 only), so that variant sends <see cref="SurrogateMarker"/> and swaps its
/// three UTF-8 bytes on the wire for ED A0 80, the would-be encoding of U+D800.</summary>
public sealed class CorpusInvoker(TimelyServer server)
{
    /// <summary>A private-use character no baseline holds; three bytes in UTF-8, like U+D800's would-be encoding.</summary>
    public const string SurrogateMarker = "\uE000";

    private static readonly byte[] MarkerBytes = [0xEE, 0x80, 0x80];
    private static readonly byte[] LoneSurrogateBytes = [0xED, 0xA0, 0x80];

    private readonly CallInvoker invoker = server.Channel.Intercept(metadata =>
    {
        metadata.Add("authorization", "Bearer " + server.AdminKey);
        return metadata;
    });

    public async Task<Status> CallAsync(MethodDescriptor rpc, IMessage request, bool loneSurrogate = false)
    {
        var method = new Method<IMessage, IMessage>(
            rpc.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary,
            rpc.Service.FullName,
            rpc.Name,
            Marshallers.Create(m => loneSurrogate ? WithLoneSurrogate(m.ToByteArray()) : m.ToByteArray(), rpc.InputType.Parser.ParseFrom),
            Marshallers.Create((IMessage m) => m.ToByteArray(), rpc.OutputType.Parser.ParseFrom));
        // Far above any honest answer: a call still running then hangs (DEADLINE_EXCEEDED fails the case).
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10));
        try
        {
            if (!rpc.IsServerStreaming)
            {
                await invoker.AsyncUnaryCall(method, null, options, request);
                return Status.DefaultSuccess;
            }
            using var call = invoker.AsyncServerStreamingCall(method, null, options, request);
            await call.ResponseHeadersAsync;
            using var opened = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                return await call.ResponseStream.MoveNext(opened.Token) ? Status.DefaultSuccess : call.GetStatus();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && opened.IsCancellationRequested)
            {
                return Status.DefaultSuccess;   // subscribed and waiting for news: a stream that opens fine
            }
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    private static byte[] WithLoneSurrogate(byte[] bytes)
    {
        var at = bytes.AsSpan().IndexOf(MarkerBytes);
        Assert.True(at >= 0, "the surrogate marker is not in the request");
        LoneSurrogateBytes.CopyTo(bytes, at);
        return bytes;
    }
}
