using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.Api;

/// <summary>The responses of the live feeds, built once per item however many subscribers it reaches. A feed hands
/// the same item (a message or event of a read its subscribers share, <see cref="Feeds.SharedReads{TGroup, TRead, TResult}"/>)
/// to each of them: its response is built on first use and kept as long as the item lives. On the protobuf wire
/// (gRPC, grpc-web) it is serialized once as well, and every subscriber's write copies those bytes
/// (<see cref="Proto.StreamMessagesResponse.FromSerialized"/>); HTTP/JSON and Server-Sent Events format the shared
/// proto as JSON per write. Live items (drafts, activities) are made per subscriber and not kept.</summary>
internal static class FanOutResponses
{
    private static readonly ConditionalWeakTable<Domain.Message, Shared<Proto.StreamMessagesResponse>> Messages = [];
    private static readonly ConditionalWeakTable<Domain.ConversationEvent, Shared<Proto.WatchConversationsResponse>> Events = [];

    /// <summary>Whether the call's responses go out as protobuf bytes (gRPC, grpc-web), not as JSON.</summary>
    public static bool OnProtobufWire(ServerCallContext context) =>
        context.GetHttpContext().Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The StreamMessages response of <paramref name="message"/>.</summary>
    public static Proto.StreamMessagesResponse Of(Domain.Message message, bool protobufWire) =>
        Get(Messages, message, "", null, static (m, _, _) => new Proto.StreamMessagesResponse { Message = m.ToProto() },
            Proto.StreamMessagesResponse.FromSerialized).For(protobufWire);

    /// <summary>The WatchConversations response of <paramref name="e"/>, an event of <paramref name="workspace"/>.</summary>
    public static Proto.WatchConversationsResponse Of(Domain.ConversationEvent e, string workspace, TokenCodec tokens, bool protobufWire) =>
        e.Live is not null
            ? Watched(e, workspace, tokens)
            : Get(Events, e, workspace, tokens, Watched, Proto.WatchConversationsResponse.FromSerialized).For(protobufWire);

    private static Proto.WatchConversationsResponse Watched(Domain.ConversationEvent e, string workspace, TokenCodec? tokens) =>
        new() { Event = e.ToProto(tokens!.Cursor(workspace, e.Position)) };

    private static Shared<T> Get<TItem, T>(
        ConditionalWeakTable<TItem, Shared<T>> table, TItem item, string workspace, TokenCodec? tokens,
        Func<TItem, string, TokenCodec?, T> build, Func<byte[], T> fromSerialized)
        where TItem : class where T : class, IMessage
    {
        if (table.TryGetValue(item, out var shared) && shared.Workspace == workspace)
        {
            return shared;
        }
        var built = new Shared<T>(workspace, build(item, workspace, tokens), fromSerialized);
        if (table.TryAdd(item, built))
        {
            return built;
        }
        // Another subscriber added it first: share theirs (one built for another workspace is not kept).
        return table.TryGetValue(item, out shared) && shared.Workspace == workspace ? shared : built;
    }

    /// <summary>One item's response, and its serialized twin once a subscriber on the protobuf wire asked for it.</summary>
    private sealed class Shared<T>(string workspace, T proto, Func<byte[], T> fromSerialized) where T : class, IMessage
    {
        private T? serialized;

        /// <summary>The workspace the response was built for (its cursors are sealed for it).</summary>
        public string Workspace { get; } = workspace;

        // Two first writers may both serialize: equal bytes, one kept.
        public T For(bool protobufWire) => !protobufWire ? proto : serialized ??= fromSerialized(proto.ToByteArray());
    }
}
