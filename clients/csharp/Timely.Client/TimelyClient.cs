using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Timely.Conversations.V1;

namespace Timely.Client;

/// <summary>A client of the Timely conversation service. <see cref="Conversations"/> is the generated
/// client with every RPC (API key, default deadline, retries and request ids applied);
/// <see cref="StreamMessagesAsync"/> and <see cref="WatchConversationsAsync"/> follow the live feeds and
/// resume them after any disconnect, so each item arrives exactly once.</summary>
public sealed class TimelyClient : IDisposable
{
    private readonly GrpcChannel? ownedChannel;
    private readonly TimelyClientOptions options;

    /// <summary>A client with its own channel, for use without dependency injection.</summary>
    public TimelyClient(TimelyClientOptions options)
    {
        this.options = options;
        var channelOptions = new GrpcChannelOptions { HttpHandler = TimelyChannel.CreateHandler() };
        TimelyChannel.Configure(channelOptions, options);
        ownedChannel = GrpcChannel.ForAddress(options.Address, channelOptions);
        Conversations = new ConversationService.ConversationServiceClient(ownedChannel.Intercept(new CallDefaultsInterceptor(options)));
    }

    /// <summary>A client over a generated client configured elsewhere (see <c>AddTimelyClient</c>).</summary>
    public TimelyClient(ConversationService.ConversationServiceClient conversations, TimelyClientOptions options)
    {
        this.options = options;
        Conversations = conversations;
    }

    /// <summary>The generated client: every RPC of <c>timely.conversations.v1.ConversationService</c>.</summary>
    public ConversationService.ConversationServiceClient Conversations { get; }

    /// <summary>The messages of a conversation with a sequence above <paramref name="afterSequence"/>, then each new
    /// one, in order. Reconnects (with backoff) after a dropped connection or a server restart and resumes after
    /// the last message delivered. Completes when the conversation is closed and fully delivered.</summary>
    public async IAsyncEnumerable<Message> StreamMessagesAsync(
        string conversationId, long afterSequence = 0, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var position = afterSequence;
        var attempt = 0;
        while (true)
        {
            using var call = Conversations.StreamMessages(
                new StreamMessagesRequest { ConversationId = conversationId, AfterSequence = position }, cancellationToken: ct);
            while (true)
            {
                var next = await TryMoveNext(call.ResponseStream, ct);
                if (next is null)
                {
                    break;   // dropped: reconnect
                }
                if (next == false)
                {
                    yield break;   // ended OK: the conversation is closed
                }
                attempt = 0;
                var message = call.ResponseStream.Current.Message;
                if (message.Sequence > position)
                {
                    position = message.Sequence;
                    yield return message;
                }
            }
            await Task.Delay(Reconnect.Delay(attempt++, options.MaxReconnectDelay), ct);
        }
    }

    /// <summary>Every change to the conversations that match <paramref name="filter"/>, in log order, from its
    /// <c>after_cursor</c> (or the present). Reconnects after a dropped connection or a server restart and resumes
    /// after the last event delivered. A cursor past retention surfaces as OUT_OF_RANGE.</summary>
    public async IAsyncEnumerable<ConversationEvent> WatchConversationsAsync(
        WatchConversationsRequest filter, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var request = filter.Clone();
        var attempt = 0;
        while (true)
        {
            using var call = Conversations.WatchConversations(request, cancellationToken: ct);
            while (true)
            {
                var next = await TryMoveNext(call.ResponseStream, ct);
                if (next is null)
                {
                    break;
                }
                if (next == false)
                {
                    yield break;
                }
                attempt = 0;
                var e = call.ResponseStream.Current.Event;
                request.AfterCursor = e.Cursor;
                yield return e;
            }
            await Task.Delay(Reconnect.Delay(attempt++, options.MaxReconnectDelay), ct);
        }
    }

    /// <inheritdoc />
    public void Dispose() => ownedChannel?.Dispose();

    /// <summary>True with an item, false at the end of the stream, null when the connection dropped.</summary>
    private static async Task<bool?> TryMoveNext<T>(IAsyncStreamReader<T> stream, CancellationToken ct)
    {
        try
        {
            return await stream.MoveNext(ct);
        }
        catch (RpcException e) when (Reconnect.IsTransient(e) && !ct.IsCancellationRequested)
        {
            return null;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);   // what an IAsyncEnumerable consumer expects
        }
    }
}
