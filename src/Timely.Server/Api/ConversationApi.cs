using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Domain;
using Timely.Server.Feeds;
using Timely.Server.Storage;
using Domain = Timely.Server.Domain;

namespace Timely.Server.Api;

/// <summary>The gRPC endpoints: read and check the request, call the store or a feed, map the result.
/// Lifecycle rules live in Domain/Lifecycle.cs, SQL in Storage/, error statuses in ErrorMapping.
/// Every call needs a key (read scope); mutations need a write key.</summary>
[Authorize(Policy = AuthPolicies.Read)]
public sealed partial class ConversationApi(
    IConversationStore store, TokenCodec tokens, MessageFeed messageFeed, EventFeed eventFeed,
    KeyRevocations revocations, IHostApplicationLifetime lifetime, LiveHub liveHub, ReplyDrafts drafts, ReceiptStore receipts, EventLog eventLog,
    IOptions<FeedOptions> feedOptions)
    : ConversationService.ConversationServiceBase
{
    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<CreateConversationResponse> CreateConversation(CreateConversationRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversation = new NewConversation(
            Caller.Workspace(context),
            check.Id("agent_id", request.AgentId),
            check.Id("channel_id", request.ChannelId),
            check.Id("contact_id", request.ContactId),
            check.Subject("subject", request.Subject),
            check.Tags("tags", request.Tags));
        var key = check.RequestId(request.RequestId, nameof(CreateConversation), Clone(request, r => r.RequestId = ""));
        check.ThrowIfInvalid();

        var created = await store.CreateConversationAsync(conversation, key, context.CancellationToken);
        return new CreateConversationResponse { Conversation = created.ToProto() };
    }

    public override async Task<GetConversationResponse> GetConversation(GetConversationRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var id = check.Id("id", request.Id);
        check.ThrowIfInvalid();

        var conversation = await store.GetConversationAsync(Caller.Workspace(context), id, context.CancellationToken)
            ?? throw NotFoundException.Conversation(id);
        return new GetConversationResponse { Conversation = conversation.ToProto() };
    }

    public override async Task<ListConversationsResponse> ListConversations(ListConversationsRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var pageSize = check.PageSize(request.PageSize);
        var query = check.Filters(request.Statuses, request.AgentId, request.ChannelId, request.ContactId, request.AssignedTo, request.Tag,
            request.CreatedAfter, request.CreatedBefore, request.LastMessageAfter, request.LastMessageBefore);
        query = query with
        {
            Priority = Priority(check, request.Priority),
            Order = request.OrderBy switch
            {
                Conversations.V1.ConversationOrder.Unspecified or Conversations.V1.ConversationOrder.LastMessageAtDesc => Storage.ConversationOrder.LastMessageAtDesc,
                Conversations.V1.ConversationOrder.CreatedAtDesc => Storage.ConversationOrder.CreatedAtDesc,
                _ => Invalid(check, "order_by", $"{(int)request.OrderBy} is not an order", Storage.ConversationOrder.LastMessageAtDesc),
            },
            UnreadFor = check.OptionalId("unread_for", request.UnreadFor),
            OnlyUnread = request.OnlyUnread && (request.UnreadFor.Length > 0 || Invalid(check, "only_unread", "needs unread_for: whose unread messages?", false)),
        };
        check.ThrowIfInvalid();
        var response = new ListConversationsResponse();
        response.NextPageToken = await ConversationPageAsync(workspace, nameof(ListConversations), request, query, pageSize, request.PageToken,
            response.Conversations, context.CancellationToken);
        return response;
    }

    public override async Task<SearchConversationsResponse> SearchConversations(SearchConversationsRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var search = check.SearchQuery("query", request.Query);
        var pageSize = check.PageSize(request.PageSize);
        var query = check.Filters(request.Statuses, request.AgentId, request.ChannelId, request.ContactId, request.AssignedTo, request.Tag,
            request.CreatedAfter, request.CreatedBefore, request.LastMessageAfter, request.LastMessageBefore, matching: search);
        query = query with { Visibility = Caller.PublicOnly(context) ? Domain.MessageVisibility.Public : null };
        check.ThrowIfInvalid();
        var response = new SearchConversationsResponse();
        response.NextPageToken = await ConversationPageAsync(workspace, nameof(SearchConversations), request, query, pageSize, request.PageToken,
            response.Conversations, context.CancellationToken);
        return response;
    }

    public override async Task<SearchMessagesResponse> SearchMessages(SearchMessagesRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var search = check.SearchQuery("query", request.Query);
        var pageSize = check.PageSize(request.PageSize);
        var filters = check.Filters(request.Statuses, request.AgentId, request.ChannelId, request.ContactId, request.AssignedTo, request.Tag,
            request.CreatedAfter, request.CreatedBefore, request.LastMessageAfter, request.LastMessageBefore);
        filters = filters with { Visibility = Caller.PublicOnly(context) ? Domain.MessageVisibility.Public : null };
        check.ThrowIfInvalid();
        var fingerprint = Fingerprints.Of(nameof(SearchMessages), Clone(request, r => ClearPaging(r)));
        var after = tokens.ReadSearchToken(workspace, fingerprint, request.PageToken);

        var rows = await store.SearchMessagesAsync(workspace, search!, filters, after, pageSize + 1, context.CancellationToken);
        var response = new SearchMessagesResponse();
        var taken = Page.Fill(rows, pageSize, h => h.ToProto(), response.Hits);
        if (taken < rows.Count)
        {
            response.NextPageToken = tokens.SearchToken(workspace, fingerprint, SearchKey.Of(rows[taken - 1]));
        }
        return response;
    }

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<UpdateConversationResponse> UpdateConversation(UpdateConversationRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var input = request.Conversation ?? new Conversations.V1.Conversation();
        if (request.Conversation is null)
        {
            check.Fail("conversation", "is required");
        }
        var id = check.Id("conversation.id", input.Id);
        var etag = check.Etag(input.Etag);
        var subject = check.Subject("conversation.subject", input.Subject);
        var tags = check.Tags("conversation.tags", input.Tags);
        check.WithinCap("conversation.read_horizons", input.ReadHorizons.Count, Receipts.MaxListedHorizons, "entries (output only: ignored)");
        var paths = UpdatePaths(check, request, input);
        check.ThrowIfInvalid();

        var updated = await store.UpdateConversationAsync(Caller.Workspace(context), id, etag, (current, _) =>
        {
            var after = current with
            {
                Subject = paths.Contains("subject") ? subject : current.Subject,
                Tags = paths.Contains("tags") ? tags : current.Tags,
            };
            return after.Subject == current.Subject && after.Tags.SequenceEqual(current.Tags)
                ? ConversationChange.None(current)
                : new ConversationChange(after, [new PendingEvent(Domain.ConversationEventType.Updated)]);
        }, context.CancellationToken);
        return new UpdateConversationResponse { Conversation = updated.ToProto() };
    }

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<HandoffConversationResponse> HandoffConversation(HandoffConversationRequest request, ServerCallContext context) =>
        new() { Conversation = await Transition(context, request.Id, request.Etag, LifecycleAction.Handoff, request.AssignedTo, request) };

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<ResumeConversationResponse> ResumeConversation(ResumeConversationRequest request, ServerCallContext context) =>
        new() { Conversation = await Transition(context, request.Id, request.Etag, LifecycleAction.Resume) };

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<CloseConversationResponse> CloseConversation(CloseConversationRequest request, ServerCallContext context) =>
        new() { Conversation = await Transition(context, request.Id, request.Etag, LifecycleAction.Close) };

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<SendMessageResponse> SendMessage(SendMessageRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var sender = check.Sender(request.SenderType);
        var senderId = Caller.Agent(context) is { } agent
            ? AgentBinding.Writer(agent, sender, check.OptionalId("sender_id", request.SenderId))
            : Senders.IdRequired(sender)
                ? check.Id("sender_id", request.SenderId)
                : check.OptionalId("sender_id", request.SenderId);
        var message = check.Message(sender, senderId, request.Content, request.MessageType, request.MediaUrl, request.MediaType, request.Metadata)
            with { Visibility = WrittenVisibility(check, context, sender, request.Visibility) };
        var key = check.RequestId(request.RequestId, nameof(SendMessage), Clone(request, r => r.RequestId = ""));
        check.ThrowIfInvalid();

        var result = await store.AppendMessageAsync(Caller.Workspace(context), conversationId, message, key, context.CancellationToken);
        liveHub.MessageAppended(Caller.Workspace(context), result.Conversation, result.Message.SenderType, result.Message.SenderId);
        return new SendMessageResponse { Message = result.Message.ToProto(), Conversation = result.Conversation.ToProto() };
    }

    public override async Task<ListMessagesResponse> ListMessages(ListMessagesRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var pageSize = check.PageSize(request.PageSize);
        var visibility = ReadVisibility(check, context, "visibility", request.Visibility);
        check.ThrowIfInvalid();
        var scope = $"{nameof(ListMessages)}/{conversationId}" + (visibility is { } v ? $"/{v}" : "");
        var after = tokens.ReadSequenceToken(workspace, scope, request.PageToken);

        _ = await store.GetConversationAsync(workspace, conversationId, context.CancellationToken)
            ?? throw NotFoundException.Conversation(conversationId);
        // Only what fits the page's bytes is read: the largest messages are about 140 KB each.
        var (rows, more) = await store.ListMessagePageAsync(workspace, conversationId, after, pageSize, Limits.MaxPageBytes, visibility, context.CancellationToken);
        var response = new ListMessagesResponse();
        var taken = Page.Fill(rows, pageSize, m => m.ToProto(), response.Messages);
        if (taken < rows.Count || more)
        {
            response.NextPageToken = tokens.SequenceToken(workspace, scope, rows[taken - 1].Sequence);
        }
        return response;
    }

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<IngestCustomerMessageResponse> IngestCustomerMessage(IngestCustomerMessageRequest request, ServerCallContext context)
    {
        if (Caller.Agent(context) is { } agent)
        {
            throw AgentBinding.Refusal(agent, "cannot write as a customer");
        }
        var check = new RequestChecker();
        var channelId = check.Id("channel_id", request.ChannelId);
        var contactId = check.Id("contact_id", request.ContactId);
        var inbound = new InboundMessage(
            Caller.Workspace(context),
            channelId,
            contactId,
            check.Id("agent_id", request.AgentId),
            check.Text("external_id", request.ExternalId, Limits.MaxExternalIdLength),
            check.Message(Domain.SenderType.Customer, senderId: null, request.Content, request.MessageType, request.MediaUrl, request.MediaType, request.Metadata));
        var key = check.RequestId(request.RequestId, nameof(IngestCustomerMessage), Clone(request, r => r.RequestId = ""));
        check.ThrowIfInvalid();

        var result = await store.IngestCustomerMessageAsync(inbound, key, context.CancellationToken);
        return new IngestCustomerMessageResponse
        {
            Conversation = result.Conversation.ToProto(),
            Message = result.Message.ToProto(),
            ConversationCreated = result.ConversationCreated,
            Duplicate = result.Duplicate,
        };
    }

    [EnableRateLimiting(AuthPolicies.Streams)]
    public override async Task StreamMessages(StreamMessagesRequest request, IServerStreamWriter<StreamMessagesResponse> stream, ServerCallContext context)
    {
        await using var responseStream = Stalling(stream, context, nameof(StreamMessages), request.IncludeUpdates ? "after_sequence,after_update_cursor" : "after_sequence",
            "after_sequence set to the sequence of the last message received" + (request.IncludeUpdates ? " and after_update_cursor to the cursor of the last update received" : ""));
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        if (request.AfterSequence < 0)
        {
            check.Fail("after_sequence", "must not be negative");
        }
        var visibility = ReadVisibility(check, context, "visibility", request.Visibility);
        if (request.AfterUpdateCursor.Length > 0 && !request.IncludeUpdates)
        {
            check.Fail("after_update_cursor", "needs include_updates");
        }
        check.ThrowIfInvalid();
        var afterUpdate = tokens.ReadCursor(workspace, request.AfterUpdateCursor, "after_update_cursor");
        var wire = FanOutResponses.OnProtobufWire(context);

        await UntilShutdown(context, ct =>
        {
            var updates = !request.IncludeUpdates ? null : new MessageUpdates(eventLog, workspace, conversationId, afterUpdate,
                e => responseStream.WriteAsync(new StreamMessagesResponse { Update = e.ToProto(tokens.Cursor(workspace, e.Position)) }, ct), visibility);
            return messageFeed.StreamAsync(workspace, conversationId, request.AfterSequence,
                updates is null ? Live(context) : () => context.WriteResponseHeadersAsync(new Metadata { { UpdateCursorHeader, tokens.Cursor(workspace, updates.Position) } }),
                m => responseStream.WriteAsync(FanOutResponses.Of(m, wire), ct), ct,
                visibility, request.IncludeLive ? item => responseStream.WriteAsync(item.ToStreamResponse(), ct) : null, updates);
        });
    }

    [EnableRateLimiting(AuthPolicies.Streams)]
    public override async Task WatchConversations(WatchConversationsRequest request, IServerStreamWriter<WatchConversationsResponse> stream, ServerCallContext context)
    {
        await using var responseStream = Stalling(stream, context, nameof(WatchConversations), "after_cursor", "after_cursor set to the cursor of the last event received");
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var filter = new EventFilter(
            check.OptionalId("agent_id", request.AgentId),
            check.OptionalId("channel_id", request.ChannelId),
            check.OptionalId("conversation_id", request.ConversationId),
            check.Statuses("statuses", request.Statuses));
        var visibility = ReadVisibility(check, context, "visibility", request.Visibility);
        check.ThrowIfInvalid();
        var after = tokens.ReadCursor(workspace, request.AfterCursor);
        var wire = FanOutResponses.OnProtobufWire(context);

        await UntilShutdown(context, ct => eventFeed.WatchAsync(workspace, filter, after, Live(context),
            e => responseStream.WriteAsync(FanOutResponses.Of(e, workspace, tokens, wire), ct), ct,
            visibility, request.IncludeLive));
    }

    /// <summary>A lifecycle RPC: handoff (with the human taking over in <paramref name="assignedTo"/>), resume or close.</summary>
    private async Task<Conversations.V1.Conversation> Transition(
        ServerCallContext context, string conversationId, string conditionalEtag, LifecycleAction action, string? assignedTo = null,
        HandoffConversationRequest? handoff = null)
    {
        var check = new RequestChecker();
        var id = check.Id("id", conversationId);
        var actor = assignedTo is null ? null
            : Caller.Agent(context) is { } agent ? AgentBinding.TakingOver(agent, check.OptionalId("assigned_to", assignedTo))
            : (Guid?)check.Id("assigned_to", assignedTo);
        var etag = check.Etag(conditionalEtag);
        var handoffContext = handoff is null ? null : HandoffContextOf(check, handoff);
        check.ThrowIfInvalid();
        var conversation = await store.UpdateConversationAsync(Caller.Workspace(context), id, etag,
            (current, now) => WithHandoff(Lifecycle.Change(current, action, now, actor), handoffContext, now),
            context.CancellationToken);
        return conversation.ToProto();
    }

    /// <summary>The live stream <paramref name="stream"/>, ended with RESOURCE_EXHAUSTED once a write waits for its client longer
    /// than Feeds:StalledSubscriberTimeout; the status tells the client to call <paramref name="rpc"/> again with <paramref name="resume"/>.
    /// Disposed as the call ends: it waits for a write it gave up on (Feeds:StalledStreamResetTimeout at most).</summary>
    private StallingWriter<T> Stalling<T>(IServerStreamWriter<T> stream, ServerCallContext context, string rpc, string resumeFrom, string resume)
    {
        var options = feedOptions.Value;
        var seconds = options.StalledSubscriberTimeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return new StallingWriter<T>(stream, context.GetHttpContext(), options.StalledSubscriberTimeout, options.StalledStreamResetTimeout, () => new SubscriberStalledException(resumeFrom,
            $"a write to this stream waited {seconds} s for the client to read, so the server ended the stream; nothing is lost: " +
            $"call {rpc} again with {resume}"));
    }

    /// <summary>Sends the response headers as soon as a stream is subscribed, so a client can tell that
    /// every change from then on reaches it.</summary>
    private static Func<Task> Live(ServerCallContext context) => () => context.WriteResponseHeadersAsync(new Metadata());

    /// <summary>Runs a stream until the client leaves, the server stops or the call's key is revoked. On
    /// shutdown the client gets UNAVAILABLE, its cue to reconnect (to any replica) and resume from its
    /// last position; on revocation, UNAUTHENTICATED.</summary>
    private async Task UntilShutdown(ServerCallContext context, Func<CancellationToken, Task> stream)
    {
        using var key = revocations.Watch(KeyRevocations.KeyId(context.GetHttpContext().User));
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping, key.Revoked);
        try
        {
            await stream(either.Token);
        }
        catch (OperationCanceledException) when (key.Revoked.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the API key of this stream was revoked"));
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the server is shutting down; reconnect and resume from your last position"));
        }
        finally
        {
            await either.CancelAsync();
        }
    }

    /// <summary>The field mask of an update: only subject and tags may change (AIP-134).</summary>
    private static HashSet<string> UpdatePaths(RequestChecker check, UpdateConversationRequest request, Conversations.V1.Conversation input)
    {
        var paths = new HashSet<string>();
        var requested = request.UpdateMask?.Paths ?? [];
        if (!check.WithinCap("update_mask.paths", requested.Count, Limits.MaxUpdateMaskPaths, "paths"))
        {
            return paths;
        }
        for (var i = 0; i < requested.Count; i++)
        {
            switch (requested[i])
            {
                case "subject" or "tags":
                    paths.Add(requested[i]);
                    break;
                case "*":
                    paths.UnionWith(["subject", "tags"]);
                    break;
                default:
                    check.Fail($"update_mask.paths[{i}]", $"\"{RequestChecker.Quote(requested[i])}\" cannot be updated; updatable fields are subject and tags");
                    break;
            }
        }
        if (requested.Count == 0)
        {
            if (input.Subject.Length > 0) paths.Add("subject");
            if (input.Tags.Count > 0) paths.Add("tags");
            if (paths.Count == 0)
            {
                check.Fail("update_mask", "names no field and the conversation sets none: nothing to update");
            }
        }
        return paths;
    }

    /// <summary>Fills one page of conversations for a list or search <paramref name="request"/> and returns
    /// the next page's token ("" after the last page). The token is bound to everything in the request but
    /// the paging fields themselves.</summary>
    private async Task<string> ConversationPageAsync<T>(
        string workspace, string rpc, T request, ConversationQuery query, int pageSize, string pageToken,
        Google.Protobuf.Collections.RepeatedField<Conversations.V1.Conversation> page, CancellationToken ct)
        where T : Google.Protobuf.IMessage<T>
    {
        var fingerprint = Fingerprints.Of(rpc, Clone(request, r => ClearPaging(r)));
        var after = tokens.ReadPageToken(workspace, fingerprint, pageToken);
        // One row more than the page tells whether there is a next page without a count.
        var rows = await store.ListConversationsAsync(workspace, query, after, pageSize + 1, ct);
        var taken = Page.Fill(rows, pageSize, c => c.ToProto(), page);
        return taken < rows.Count ? tokens.PageToken(workspace, fingerprint, ConversationKey.Of(rows[taken - 1], query.Order)) : "";
    }

    /// <summary>Clears page_size and page_token, fields 1 and 2 or 2 and 3 of a paged request.</summary>
    private static void ClearPaging(Google.Protobuf.IMessage request)
    {
        foreach (var name in (string[])["page_size", "page_token"])
        {
            request.Descriptor.FindFieldByName(name).Accessor.Clear(request);
        }
    }

    private static T Invalid<T>(RequestChecker check, string field, string description, T fallback)
    {
        check.Fail(field, description);
        return fallback;
    }

    private static T Clone<T>(T request, Action<T> edit) where T : Google.Protobuf.IMessage<T>
    {
        var copy = request.Clone();
        edit(copy);
        return copy;
    }
}
