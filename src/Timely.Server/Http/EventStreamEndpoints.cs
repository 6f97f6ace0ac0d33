using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Timely.Conversations.V1;
using Timely.Server.Api;
using Timely.Server.Auth;
using FieldViolation = Timely.Server.Domain.FieldViolation;
using InvalidArgumentException = Timely.Server.Domain.InvalidArgumentException;

namespace Timely.Server.Http;

/// <summary>The two live feeds as Server-Sent Events, at the path of their NDJSON route under /v1/sse/. They
/// run the service's own streaming RPCs (same checks, keys, limits, feeds, end on shutdown and revocation);
/// only the framing differs. A reconnecting client's Last-Event-ID takes the place of after_sequence or
/// after_cursor.</summary>
public static class EventStreamEndpoints
{
    private const string LastEventId = "Last-Event-ID";
    private static readonly ObjectFactory<ConversationApi> Api = ActivatorUtilities.CreateFactory<ConversationApi>([]);
    private static readonly ObjectFactory<CallInterceptor> Interceptor = ActivatorUtilities.CreateFactory<CallInterceptor>([]);

    public static IEndpointRouteBuilder MapEventStreams(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/sse/conversations/{conversation_id}/messages:stream", StreamMessages)
            .WithName("StreamMessagesEvents")
            .WithSummary("StreamMessages as Server-Sent Events")
            .WithDescription("The messages of one conversation as `text/event-stream`, as StreamMessages delivers them: every stored "
                + "message after `after_sequence`, then each new one. Each event's `id` is the message's `sequence` and its `data` the "
                + "Message as JSON; reconnect with `Last-Event-ID` to resume with no gap and no duplicate. The last event, `end`, "
                + "carries the final google.rpc.Status (OK once a closed conversation is fully delivered).")
            .WithEventStream();
        app.MapGet("/v1/sse/conversations:watch", WatchConversations)
            .WithName("WatchConversationsEvents")
            .WithSummary("WatchConversations as Server-Sent Events")
            .WithDescription("Every change to the matching conversations as `text/event-stream`, as WatchConversations delivers them. "
                + "Each event's `id` is the event's `cursor` and its `data` the ConversationEvent as JSON; reconnect with "
                + "`Last-Event-ID` to resume with no gap and no duplicate. The last event, `end`, carries the final google.rpc.Status.")
            .WithEventStream();
        return app;
    }

    private static RouteHandlerBuilder WithEventStream(this RouteHandlerBuilder endpoint) => endpoint
        .WithTags(ConversationService.Descriptor.Name)
        .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
        .RequireAuthorization(AuthPolicies.Read)
        .RequireRateLimiting(AuthPolicies.Streams)
        .RequireCors(ApiSetup.CorsPolicy);

    private static Task StreamMessages(
        HttpContext http,
        [FromRoute(Name = "conversation_id")] string conversationId,
        [FromQuery(Name = "after_sequence")] string? afterSequence,
        [FromHeader(Name = LastEventId)] string? lastEventId)
    {
        var request = new StreamMessagesRequest { ConversationId = conversationId };
        if ((lastEventId ?? afterSequence) is { } position)
        {
            if (!long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
            {
                return Refuse(http, new FieldViolation(lastEventId is null ? "after_sequence" : LastEventId, "must be the sequence of a message, such as 42"));
            }
            request.AfterSequence = after;
        }
        return RunAsync(http, nameof(ConversationApi.StreamMessages), request, (api, r, w, c) => api.StreamMessages(r, w, c),
            (StreamMessagesResponse item) => (item.Message.Sequence.ToString(CultureInfo.InvariantCulture), item.Message));
    }

    private static Task WatchConversations(
        HttpContext http,
        [FromQuery(Name = "agent_id")] string? agentId,
        [FromQuery(Name = "channel_id")] string? channelId,
        [FromQuery(Name = "conversation_id")] string? conversationId,
        [FromQuery(Name = "statuses")] string[]? statuses,
        [FromQuery(Name = "after_cursor")] string? afterCursor,
        [FromHeader(Name = LastEventId)] string? lastEventId)
    {
        var request = new WatchConversationsRequest
        {
            AgentId = agentId ?? "",
            ChannelId = channelId ?? "",
            ConversationId = conversationId ?? "",
            AfterCursor = lastEventId ?? afterCursor ?? "",
        };
        var status = ConversationReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>(nameof(ConversationStatus));
        for (var i = 0; i < (statuses?.Length ?? 0); i++)
        {
            // As in the NDJSON route: the value's name, or its number.
            var value = status.FindValueByName(statuses![i])?.Number
                ?? (int.TryParse(statuses[i], NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : (int?)null);
            if (value is null)
            {
                return Refuse(http, new FieldViolation($"statuses[{i}]", "must be a ConversationStatus such as CONVERSATION_STATUS_OPEN"));
            }
            request.Statuses.Add((ConversationStatus)value);
        }
        return RunAsync(http, nameof(ConversationApi.WatchConversations), request, (api, r, w, c) => api.WatchConversations(r, w, c),
            (WatchConversationsResponse item) => (item.Event.Cursor, item.Event));
    }

    /// <summary>Runs the RPC through the same interceptor as gRPC calls (error mapping, logs). An error before
    /// the stream started is an HTTP error with the google.rpc.Status JSON; after, the `end` event.</summary>
    private static async Task RunAsync<TRequest, TResponse>(
        HttpContext http, string method, TRequest request,
        Func<ConversationApi, TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> rpc,
        Func<TResponse, (string Id, Google.Protobuf.IMessage Data)> frame)
        where TRequest : class where TResponse : class
    {
        var keepAlive = http.RequestServices.GetRequiredService<IOptions<EventStreamOptions>>().Value.KeepAliveInterval;
        var stream = new EventStream<TResponse>(http, frame, keepAlive);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var keepingAlive = Task.CompletedTask;
        var context = new EventStreamCallContext(http, $"/{ConversationService.Descriptor.FullName}/{method}", async () =>
        {
            await stream.StartAsync();
            keepingAlive = stream.KeepAliveAsync(stop.Token);
        });
        var api = Api(http.RequestServices, []);
        var interceptor = Interceptor(http.RequestServices, []);
        Google.Rpc.Status status;
        try
        {
            await interceptor.ServerStreamingServerHandler(request, stream, context, (r, w, c) => rpc(api, r, w, c));
            status = new Google.Rpc.Status { Code = (int)StatusCode.OK };
        }
        catch (RpcException e)
        {
            status = e.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)e.StatusCode, Message = e.Status.Detail };
        }
        finally
        {
            await stop.CancelAsync();
            await keepingAlive;
        }
        if (http.RequestAborted.IsCancellationRequested)
        {
            return;   // the client left: nobody to tell
        }
        await (stream.Started ? stream.EndAsync(status) : ErrorResponse.WriteJsonAsync(http, status));
    }

    private static Task Refuse(HttpContext http, FieldViolation violation) =>
        ErrorResponse.WriteJsonAsync(http, ErrorMapping.ToRpcException(new InvalidArgumentException([violation]))!.GetRpcStatus()!);
}
