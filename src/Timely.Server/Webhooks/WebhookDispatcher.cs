using Microsoft.Extensions.Options;
using Timely.Server.Storage;

namespace Timely.Server.Webhooks;

/// <summary>Delivers the event log to the enabled endpoints. Every poll interval it starts a worker for
/// each endpoint that has none. A worker takes the endpoint's lease (one replica per endpoint at a
/// time), reads the log after the endpoint's position through <see cref="EventLog.ListAsync"/> (the
/// same read and filter as WatchConversations), records what it read as pending deliveries together
/// with the new position, then sends what is due: per conversation only its oldest pending event, so a
/// conversation's events go out in log order, up to Webhooks:ConcurrencyPerEndpoint conversations at
/// once. Nothing is acknowledged before the receiver answered 2xx: a crash at any point sends again,
/// with the same webhook-id.</summary>
public sealed partial class WebhookDispatcher(
    WebhookStore store, EventLog log, WebhookPayload payload, WebhookSender sender, IOptions<WebhookOptions> options,
    TimeProvider clock, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private readonly string replica = Guid.NewGuid().ToString("N");
    private readonly Dictionary<(string Workspace, Guid Id), Task> workers = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, clock);
        try
        {
            do
            {
                foreach (var done in workers.Where(w => w.Value.IsCompleted).Select(w => w.Key).ToList())
                {
                    workers.Remove(done);
                }
                try
                {
                    foreach (var endpoint in await store.ListDeliverableAsync(stoppingToken))
                    {
                        if (!workers.ContainsKey(endpoint))
                        {
                            workers[endpoint] = Task.Run(() => WorkAsync(endpoint.Workspace, endpoint.Id, stoppingToken), CancellationToken.None);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRoundFailed(e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        finally
        {
            await Task.WhenAll(workers.Values);
        }
    }

    /// <summary>Rounds for one endpoint while there is work that cannot wait for the next poll.</summary>
    private async Task WorkAsync(string workspace, Guid id, CancellationToken ct)
    {
        try
        {
            while (await RoundAsync(workspace, id, ct))
            {
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: what was in flight is still pending, and goes again after the restart.
        }
        catch (Exception e)
        {
            LogEndpointFailed(e, workspace, id);
        }
    }

    /// <summary>One round; true when another should follow at once (a full page read, or sends done).</summary>
    internal async Task<bool> RoundAsync(string workspace, Guid id, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        if (!await store.TryLeaseAsync(workspace, id, replica, now, o.LeaseDuration, ct))
        {
            return false;
        }
        var (target, pending) = await store.GetTargetAsync(workspace, id, now, ct);
        if (target is null || !target.Endpoint.Enabled)
        {
            return false;
        }
        var more = false;
        if (pending < o.MaxPendingPerEndpoint)
        {
            var page = await log.ListAsync(workspace, target.Endpoint.Filter, target.Position, o.BatchSize, ct);
            var wanted = page.Events.Where(e => target.Endpoint.Wants(e.Type)).Select(e => (e, payload.Body(workspace, e))).ToList();
            if (page.ReadThrough > target.Position)
            {
                await store.EnqueueAsync(workspace, id, target.Position, wanted, page.ReadThrough, now, ct);
            }
            more = page.Events.Count == o.BatchSize;
        }
        var due = await store.DueAsync(workspace, id, clock.GetUtcNow(), o.ConcurrencyPerEndpoint, ct);
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = o.ConcurrencyPerEndpoint, CancellationToken = ct },
            async (delivery, token) => await SendAsync(target, delivery, token));
        return more || due.Count > 0;
    }

    private async Task SendAsync(DeliveryTarget target, WebhookDelivery delivery, CancellationToken ct)
    {
        var o = options.Value;
        var endpoint = target.Endpoint;
        // The body as stored now, not as read with the due deliveries: a redaction meanwhile has emptied it.
        var stored = await store.BodyAsync(endpoint.Workspace, endpoint.Id, delivery.Event, ct) ?? "";
        var body = stored.Length > 0 ? stored : await BodyAgainAsync(endpoint.Workspace, delivery, ct);
        var outcome = await sender.SendAsync(endpoint.Url, payload.Id(endpoint.Workspace, delivery.Event), body, target.Secrets, ct);
        var now = clock.GetUtcNow();
        if (outcome.Acknowledged)
        {
            await store.AcknowledgedAsync(endpoint.Workspace, endpoint.Id, delivery, outcome.StatusCode, now, ct);
            return;
        }
        var retryAt = now + Backoff.Delay(delivery.Attempts + 1, o.FirstRetryDelay, o.MaxRetryDelay, Random.Shared.NextDouble());
        var disabled = await store.FailedAsync(endpoint.Workspace, endpoint.Id, delivery, outcome, now, retryAt,
            outcome.Gone ? "the endpoint answered 410 Gone" : null, now - o.DisableAfter,
            $"failed without a success for more than {o.DisableAfter}; last error: {outcome.Error}", ct);
        if (disabled)
        {
            LogDisabled(endpoint.Workspace, endpoint.Id, outcome.Error);
        }
    }

    /// <summary>The body of a delivery a redaction emptied (EventLog.ScrubMessage): the event as the log has it
    /// now (so with the message's tombstone), or, if retention deleted it meanwhile, its type and cursor only.</summary>
    private async Task<string> BodyAgainAsync(string workspace, WebhookDelivery delivery, CancellationToken ct)
    {
        var page = await log.ListAsync(workspace, new EventFilter(null, null, delivery.ConversationId, []),
            delivery.Event with { Id = delivery.Event.Id - 1 }, 1, ct);
        return page.Events is [var e] && e.Position == delivery.Event
            ? payload.Body(workspace, e)
            : payload.Deleted(workspace, delivery.EventType, delivery.Event, clock.GetUtcNow());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook round failed; retrying at the next interval")]
    private partial void LogRoundFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery to endpoint {Workspace}/{Endpoint} failed; retrying at the next interval")]
    private partial void LogEndpointFailed(Exception exception, string workspace, Guid endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint {Workspace}/{Endpoint} disabled: {Error}")]
    private partial void LogDisabled(string workspace, Guid endpoint, string error);
}
