using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Timely.Conversations.V1;

namespace Timely.Client;

/// <summary>A client of the Timely conversation service: every RPC of <c>timely.conversations.v1.ConversationService</c>
/// as the generated client has it (<c>CreateConversationAsync</c>, <c>SendMessageAsync</c>, ...; API key, default
/// deadline, retries and request ids applied), and the live feeds that resume after any disconnect, so each item
/// arrives exactly once (<see cref="StreamMessagesAsync(string, long, CancellationToken)"/>,
/// <see cref="WatchConversationsAsync(WatchConversationsRequest, CancellationToken)"/>): one surface, as in the JS
/// and Python SDKs.</summary>
public sealed class TimelyClient : ConversationService.ConversationServiceClient, IDisposable
{
    private readonly GrpcChannel? ownedChannel;
    private readonly TimelyClientOptions options;

    /// <summary>A client with its own channel, for use without dependency injection.</summary>
    public TimelyClient(TimelyClientOptions options) : this(OwnChannel(options), options)
    {
    }

    /// <summary>A client over a call invoker configured elsewhere (<c>AddTimelyClient</c> creates it through
    /// Grpc.Net.ClientFactory with this constructor).</summary>
    public TimelyClient(CallInvoker callInvoker, IOptions<TimelyClientOptions> options) : base(callInvoker)
    {
        this.options = options.Value;
    }

    private TimelyClient(GrpcChannel channel, TimelyClientOptions options) : base(channel.Intercept(new CallDefaultsInterceptor(options)))
    {
        ownedChannel = channel;
        this.options = options;
    }

    private static GrpcChannel OwnChannel(TimelyClientOptions options)
    {
        var channelOptions = new GrpcChannelOptions { HttpHandler = TimelyChannel.CreateHandler() };
        TimelyChannel.Configure(channelOptions, options);
        return GrpcChannel.ForAddress(options.Address, channelOptions);
    }

    /// <summary>The messages of a conversation with a sequence above <paramref name="afterSequence"/>, then each new
    /// one, in order. Reconnects (with backoff) after a dropped connection or a server restart and resumes after
    /// the last message delivered. Completes when the conversation is closed and fully delivered.</summary>
    public IAsyncEnumerable<Message> StreamMessagesAsync(string conversationId, long afterSequence = 0, CancellationToken ct = default) =>
        ResumingStream.Read(
            StreamMessages, new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = afterSequence },
            AfterMessage, options.MaxReconnectDelay, ct);

    /// <summary>As above; <paramref name="onSubscribed"/> runs each time the stream is (re)subscribed and live, before
    /// its first item: the moment to list, so that nothing written in between is missed (the JS SDK's
    /// <c>onSubscribed</c>, Python's <c>on_subscribed</c>).</summary>
    public IAsyncEnumerable<Message> StreamMessagesAsync(string conversationId, long afterSequence, Action onSubscribed, CancellationToken ct = default) =>
        ResumingStream.Read(
            StreamMessages, new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = afterSequence },
            AfterMessage, options.MaxReconnectDelay, ct, (_, _) => onSubscribed());

    /// <summary>Like <see cref="StreamMessagesAsync(string, long, CancellationToken)"/>, with the conversation's updates too (delivery status changes,
    /// edits, redactions, read horizon moves, as <see cref="StreamMessagesResponse.Update"/>): each response has
    /// <c>Message</c> or <c>Update</c>, each delivered once across reconnects. Updates start after
    /// <paramref name="afterUpdateCursor"/> (the <c>Cursor</c> of the last update received), or at the present.</summary>
    public IAsyncEnumerable<StreamMessagesResponse> StreamMessagesWithUpdatesAsync(
        string conversationId, long afterSequence = 0, string afterUpdateCursor = "", CancellationToken ct = default) =>
        ResumingStream.Read(
            StreamMessages,
            new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = afterSequence, IncludeUpdates = true, AfterUpdateCursor = afterUpdateCursor },
            AfterMessageOrUpdate, options.MaxReconnectDelay, ct, StartedUpdates);

    /// <summary>Every change to the conversations that match <paramref name="filter"/>, in log order, from its
    /// <c>after_cursor</c> (or the present). Reconnects after a dropped connection or a server restart and resumes
    /// after the last event delivered. A cursor past retention surfaces as OUT_OF_RANGE.</summary>
    public IAsyncEnumerable<ConversationEvent> WatchConversationsAsync(WatchConversationsRequest filter, CancellationToken ct = default) =>
        ResumingStream.Read(WatchConversations, filter, AfterEvent, options.MaxReconnectDelay, ct);

    /// <summary>As above; <paramref name="onSubscribed"/> runs each time the watch is (re)subscribed and live, before
    /// its first event. A watch without a cursor starts at the present: write or list after this, not before.</summary>
    public IAsyncEnumerable<ConversationEvent> WatchConversationsAsync(WatchConversationsRequest filter, Action onSubscribed, CancellationToken ct = default) =>
        ResumingStream.Read(WatchConversations, filter, AfterEvent, options.MaxReconnectDelay, ct, (_, _) => onSubscribed());

    /// <summary>Like <see cref="StreamMessagesAsync(string, long, CancellationToken)"/>, with the live-only items too: each item is a message, a reply
    /// draft update (<c>ReplyDraft</c>) or an agent's activity (<c>Activity</c>). Only messages of
    /// <paramref name="visibility"/> when it is set. Resumes after the last message delivered; a subscriber that
    /// (re)joins mid-draft receives the draft's text so far as one delta at offset 0.</summary>
    public IAsyncEnumerable<StreamMessagesResponse> StreamLiveAsync(
        string conversationId, long afterSequence = 0, MessageVisibility visibility = MessageVisibility.Unspecified, CancellationToken ct = default) =>
        ResumingStream.Read(
            StreamMessages,
            new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = afterSequence, IncludeLive = true, Visibility = visibility },
            AfterLiveItem, options.MaxReconnectDelay, ct);

    /// <summary>Streams a reply of the AI agent from <paramref name="chunks"/> (for example a model's tokens) as a
    /// reply draft: live subscribers see each chunk as it is written, and when <paramref name="chunks"/> ends the
    /// whole text becomes one message, which is returned. <paramref name="start"/> may carry a request id (one is
    /// made when empty, so the caller can retry with the same <paramref name="start"/>), a sender id and metadata.
    /// Cancelling <paramref name="ct"/> abandons the draft. A draft the server ended (a handoff or close
    /// mid-draft, idle time) throws its <see cref="Grpc.Core.RpcException"/>.</summary>
    public async Task<StreamReplyDraftResponse> SendReplyDraftAsync(
        string conversationId, IAsyncEnumerable<string> chunks, ReplyDraftStart? start = null, CancellationToken ct = default)
    {
        start ??= new ReplyDraftStart();
        start.ConversationId = conversationId;
        if (start.RequestId.Length == 0)
        {
            start.RequestId = RequestIds.New();
        }
        using var call = StreamReplyDraft(cancellationToken: ct);
        try
        {
            await call.RequestStream.WriteAsync(new StreamReplyDraftRequest { Start = start }, ct);
            await foreach (var chunk in chunks.WithCancellation(ct))
            {
                if (chunk.Length > 0)
                {
                    await call.RequestStream.WriteAsync(new StreamReplyDraftRequest { Text = chunk }, ct);
                }
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception) when (!ct.IsCancellationRequested && call.ResponseAsync.IsCompleted)
        {
            // The server ended the draft first: its status says why (awaited below).
        }
        return await call.ResponseAsync;
    }

    /// <inheritdoc />
    public void Dispose() => ownedChannel?.Dispose();

    /// <summary>A live stream resumes after the last message delivered; live items pass through.</summary>
    private static StreamMessagesResponse? AfterLiveItem(StreamMessagesRequest request, StreamMessagesResponse response)
    {
        if (response.Message is null)
        {
            return response;
        }
        return AfterMessage(request, response) is null ? null : response;
    }

    /// <summary>A message stream resumes after the last message delivered; a repeat is skipped.</summary>
    private static Message? AfterMessage(StreamMessagesRequest request, StreamMessagesResponse response)
    {
        if (response.Message.Sequence <= request.AfterSequence)
        {
            return null;
        }
        request.AfterSequence = response.Message.Sequence;
        return response.Message;
    }

    /// <summary>A message stream with updates resumes after the last message and after the last update.</summary>
    private static StreamMessagesResponse? AfterMessageOrUpdate(StreamMessagesRequest request, StreamMessagesResponse response)
    {
        if (response.Update is { } update)
        {
            request.AfterUpdateCursor = update.Cursor;
            return response;
        }
        return AfterMessage(request, response) is null ? null : response;
    }

    /// <summary>Until an update arrives, a reconnect resumes the updates where the first call's headers say they started.</summary>
    private static void StartedUpdates(StreamMessagesRequest request, Grpc.Core.Metadata headers)
    {
        if (request.AfterUpdateCursor.Length == 0 && headers.GetValue("timely-update-cursor") is { Length: > 0 } cursor)
        {
            request.AfterUpdateCursor = cursor;
        }
    }

    /// <summary>A watch resumes after the last event delivered.</summary>
    private static ConversationEvent AfterEvent(WatchConversationsRequest request, WatchConversationsResponse response)
    {
        request.AfterCursor = response.Event.Cursor;
        return response.Event;
    }
}
