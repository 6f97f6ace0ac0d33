using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Timely.Conversations.V1;
using Timely.Server.Api;
using Timely.Server.Auth;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Webhooks;

/// <summary>The WebhookService endpoints, for admin keys: read and check the request, call the store,
/// map the result. Delivery itself is <see cref="WebhookDispatcher"/>'s.</summary>
[Authorize(Policy = AuthPolicies.Admin)]
public sealed class WebhookApi(
    WebhookStore store, EventLog log, AddressPolicy policy, TokenCodec tokens, WebhookSender sender,
    IOptions<WebhookOptions> options, TimeProvider clock)
    : WebhookService.WebhookServiceBase
{
    public override async Task<CreateWebhookEndpointResponse> CreateWebhookEndpoint(CreateWebhookEndpointRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var check = new RequestChecker();
        var input = request.Endpoint ?? new Conversations.V1.WebhookEndpoint();
        if (request.Endpoint is null)
        {
            check.Fail("endpoint", "is required");
        }
        var url = await check.UrlAsync(policy, "endpoint.url", input.Url, ct);
        var types = check.EventTypes("endpoint.event_types", input.EventTypes);
        var filter = Filter(check, input);
        check.ThrowIfInvalid();

        var now = clock.GetUtcNow();
        var endpoint = new WebhookEndpoint(Caller.Workspace(context), Guid.NewGuid(), url, types, filter, input.Enabled, "", now, now, null, 1);
        var secret = WebhookSignature.NewSecret();
        await store.CreateAsync(endpoint, secret, await log.GetPresentAsync(ct), ct);
        return new CreateWebhookEndpointResponse { Endpoint = endpoint.ToProto(), Secret = secret };
    }

    public override async Task<GetWebhookEndpointResponse> GetWebhookEndpoint(GetWebhookEndpointRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var id = check.Id("id", request.Id);
        check.ThrowIfInvalid();
        return new GetWebhookEndpointResponse { Endpoint = (await Existing(context, id)).ToProto() };
    }

    public override async Task<ListWebhookEndpointsResponse> ListWebhookEndpoints(ListWebhookEndpointsRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var pageSize = check.PageSize(request.PageSize);
        check.ThrowIfInvalid();
        var after = tokens.ReadPageToken(workspace, nameof(ListWebhookEndpoints), request.PageToken);

        var rows = await store.ListAsync(workspace, after is null ? null : (after.SortValue, after.Id), pageSize + 1, context.CancellationToken);
        var response = new ListWebhookEndpointsResponse();
        var taken = Page.Fill(rows, pageSize, e => e.ToProto(), response.Endpoints);
        if (taken < rows.Count)
        {
            var last = rows[taken - 1];
            response.NextPageToken = tokens.PageToken(workspace, nameof(ListWebhookEndpoints), new ConversationKey(Micros.From(last.CreatedAt), last.Id));
        }
        return response;
    }

    public override async Task<UpdateWebhookEndpointResponse> UpdateWebhookEndpoint(UpdateWebhookEndpointRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var check = new RequestChecker();
        var input = request.Endpoint ?? new Conversations.V1.WebhookEndpoint();
        if (request.Endpoint is null)
        {
            check.Fail("endpoint", "is required");
        }
        var id = check.Id("endpoint.id", input.Id);
        var etag = check.Etag(input.Etag);
        var paths = check.UpdatePaths(request.UpdateMask);
        var url = paths.Contains("url") ? await check.UrlAsync(policy, "endpoint.url", input.Url, ct) : "";
        var types = check.EventTypes("endpoint.event_types", input.EventTypes);
        var filter = Filter(check, input);
        check.ThrowIfInvalid();

        var updated = await store.UpdateAsync(Caller.Workspace(context), id, etag, current => current with
        {
            Url = paths.Contains("url") ? url : current.Url,
            EventTypes = paths.Contains("event_types") ? types : current.EventTypes,
            Filter = new EventFilter(
                paths.Contains("agent_id") ? filter.AgentId : current.Filter.AgentId,
                paths.Contains("channel_id") ? filter.ChannelId : current.Filter.ChannelId,
                paths.Contains("conversation_id") ? filter.ConversationId : current.Filter.ConversationId,
                paths.Contains("statuses") ? filter.Statuses : current.Filter.Statuses),
            Enabled = paths.Contains("enabled") ? input.Enabled : current.Enabled,
            DisabledReason = paths.Contains("enabled") && input.Enabled ? "" : current.DisabledReason,
        }, clock.GetUtcNow(), ct) ?? throw NotFound(id);
        return new UpdateWebhookEndpointResponse { Endpoint = updated.ToProto() };
    }

    public override async Task<DeleteWebhookEndpointResponse> DeleteWebhookEndpoint(DeleteWebhookEndpointRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var id = check.Id("id", request.Id);
        var etag = check.Etag(request.Etag);
        check.ThrowIfInvalid();
        return await store.DeleteAsync(Caller.Workspace(context), id, etag, context.CancellationToken)
            ? new DeleteWebhookEndpointResponse()
            : throw NotFound(id);
    }

    public override async Task<RotateWebhookSecretResponse> RotateWebhookSecret(RotateWebhookSecretRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var id = check.Id("id", request.Id);
        check.ThrowIfInvalid();
        var workspace = Caller.Workspace(context);
        var secret = WebhookSignature.NewSecret();
        var now = clock.GetUtcNow();
        if (!await store.RotateSecretAsync(workspace, id, secret, now, now + options.Value.RotationWindow, context.CancellationToken))
        {
            throw NotFound(id);
        }
        return new RotateWebhookSecretResponse { Endpoint = (await Existing(context, id)).ToProto(), Secret = secret };
    }

    public override async Task<ListWebhookDeliveriesResponse> ListWebhookDeliveries(ListWebhookDeliveriesRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var id = check.Id("endpoint_id", request.EndpointId);
        var pageSize = check.PageSize(request.PageSize);
        check.ThrowIfInvalid();
        var scope = $"{nameof(ListWebhookDeliveries)}/{id}";
        var before = tokens.ReadPositionToken(workspace, scope, request.PageToken);

        _ = await Existing(context, id);
        var rows = await store.ListDeliveriesAsync(workspace, id, before, pageSize + 1, context.CancellationToken);
        var response = new ListWebhookDeliveriesResponse();
        var taken = Page.Fill(rows, pageSize, d => d.ToProto(tokens.Cursor(workspace, d.Event)), response.Deliveries);
        if (taken < rows.Count)
        {
            response.NextPageToken = tokens.PositionToken(workspace, scope, rows[taken - 1].Event);
        }
        return response;
    }

    public override async Task<RedeliverWebhookEventsResponse> RedeliverWebhookEvents(RedeliverWebhookEventsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var id = check.Id("endpoint_id", request.EndpointId);
        if (request.AfterCursor.Length == 0)
        {
            check.Fail("after_cursor", "is required");
        }
        check.ThrowIfInvalid();
        var after = tokens.ReadCursor(workspace, request.AfterCursor)!.Value;

        var endpoint = await Existing(context, id);
        if (after > await log.GetPresentAsync(ct))
        {
            throw new PositionOutOfRangeException("after_cursor", "after_cursor is past the end of the event log");
        }
        var page = await log.ListAsync(workspace, endpoint.Filter, after, 1, ct);
        if (after < page.PrunedThrough)
        {
            throw new PositionOutOfRangeException("after_cursor", "events after this cursor were deleted by retention");
        }
        if (!await store.RewindAsync(workspace, id, after, ct))
        {
            throw NotFound(id);
        }
        return new RedeliverWebhookEventsResponse();
    }

    public override async Task<SendTestWebhookEventResponse> SendTestWebhookEvent(SendTestWebhookEventRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var check = new RequestChecker();
        var id = check.Id("endpoint_id", request.EndpointId);
        check.ThrowIfInvalid();
        var now = clock.GetUtcNow();
        var (target, _) = await store.GetTargetAsync(Caller.Workspace(context), id, now, ct);
        if (target is null)
        {
            throw NotFound(id);
        }
        var outcome = await sender.SendAsync(target.Endpoint.Url, $"test_{Guid.NewGuid():N}", WebhookPayload.TestBody(now), target.Secrets, ct);
        return new SendTestWebhookEventResponse { StatusCode = outcome.StatusCode, Error = outcome.Error };
    }

    private static EventFilter Filter(RequestChecker check, Conversations.V1.WebhookEndpoint input) => new(
        check.OptionalId("endpoint.agent_id", input.AgentId),
        check.OptionalId("endpoint.channel_id", input.ChannelId),
        check.OptionalId("endpoint.conversation_id", input.ConversationId),
        check.Statuses("endpoint.statuses", input.Statuses));

    private async Task<WebhookEndpoint> Existing(ServerCallContext context, Guid id) =>
        await store.GetAsync(Caller.Workspace(context), id, context.CancellationToken) ?? throw NotFound(id);

    private static NotFoundException NotFound(Guid id) => new($"webhook endpoint {id} not found");
}
