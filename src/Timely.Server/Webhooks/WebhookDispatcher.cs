using ActivityStatusCode = System.Diagnostics.ActivityStatusCode;
using Microsoft.Extensions.Options;
using Timely.Server.Observability;
using Timely.Server.Storage;

namespace Timely.Server.Webhooks;

/// <summary>Delivers the event log to the enabled endpoints. Every poll interval it starts a worker for
/// each endpoint that has none. A worker takes the endpoint's lease (one replica per endpoint at a
/// time), reads the log after the endpoint's position through <see cref="EventLog.ListAsync"/> (the
/// same read and filter as WatchConversations), records what it read as pending deliveries together
/// with the new position, and sends what is due: per conversation only its oldest pending event, so a
/// conversation's events go out in log order, up to Webhooks:ConcurrencyPerEndpoint conversations at
/// once. Nothing is acknowledged before the receiver answered 2xx: a crash at any point sends again,
/// with the same webhook-id.</summary>
public sealed partial class WebhookDispatcher(
    WebhookStore store, EventLog log, WebhookPayload payload, WebhookSender sender, IOptions<WebhookOptions> options,
    TimelyMetrics metrics, TimeProvider clock, ILogger<WebhookDispatcher> logger) : BackgroundService
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

    /// <summary>Delivers one endpoint while it has work, keeping up to Webhooks:ConcurrencyPerEndpoint requests
    /// in flight, each to another conversation. The next due delivery starts as soon as a request ends, so a
    /// slow receiver path holds back only its own conversation. The lease, the endpoint and the log are read
    /// again every poll interval (at once while the log has more); returns when nothing is in flight and
    /// nothing more is due, or the lease is lost.</summary>
    internal async Task WorkAsync(string workspace, Guid id, CancellationToken ct)
    {
        var o = options.Value;
        Dictionary<Guid, Task> inFlight = [];
        try
        {
            DeliveryTarget? target = null;
            var more = true;
            var readAt = 0L;
            while (true)
            {
                if (more || clock.GetElapsedTime(readAt) >= o.PollInterval)
                {
                    (target, more) = await ReadAsync(workspace, id, ct);
                    readAt = clock.GetTimestamp();
                }
                var free = o.ConcurrencyPerEndpoint - inFlight.Count;
                if (target is not null && free > 0)
                {
                    // The oldest pending event of each conversation; those of conversations in flight wait their turn.
                    var due = await store.DueAsync(workspace, id, clock.GetUtcNow(), o.ConcurrencyPerEndpoint, ct);
                    foreach (var delivery in due.Where(d => !inFlight.ContainsKey(d.ConversationId)).Take(free))
                    {
                        inFlight[delivery.ConversationId] = SendAsync(target, delivery, ct);
                    }
                }
                if (inFlight.Count == 0)
                {
                    if (!more)
                    {
                        return;
                    }
                    continue;
                }
                // Wake when a request ends (its conversation may have a next event), or at the next poll.
                await Task.WhenAny([.. inFlight.Values, Task.Delay(o.PollInterval, clock, ct)]);
                foreach (var done in inFlight.Where(f => f.Value.IsCompleted).ToList())
                {
                    inFlight.Remove(done.Key);
                    await done.Value;   // a store failure ends the worker; the next poll starts another
                }
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
        finally
        {
            await Task.WhenAll(inFlight.Values).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        if (ct.IsCancellationRequested)
        {
            // A graceful stop hands the endpoint over at once, not after the lease runs out.
            await ReleaseLeaseAsync(workspace, id);
        }
    }

    private async Task ReleaseLeaseAsync(string workspace, Guid id)
    {
        try
        {
            await store.ReleaseLeaseAsync(workspace, id, replica, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogEndpointFailed(e, workspace, id);
        }
    }

    /// <summary>Takes or renews the lease, reads the endpoint, and records the log's new events for it as
    /// pending deliveries. No target when the lease is another replica's or the endpoint is disabled or
    /// gone; more when a full page was read (the log may have more at once).</summary>
    private async Task<(DeliveryTarget? Target, bool More)> ReadAsync(string workspace, Guid id, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        if (!await store.TryLeaseAsync(workspace, id, replica, now, o.LeaseDuration, ct))
        {
            return (null, false);
        }
        var (target, pending) = await store.GetTargetAsync(workspace, id, now, ct);
        if (target is null || !target.Endpoint.Enabled)
        {
            return (null, false);
        }
        if (pending >= o.MaxPendingPerEndpoint)
        {
            return (target, false);
        }
        var page = await log.ListAsync(workspace, target.Endpoint.Filter, target.Position, o.BatchSize, ct);
        var wanted = page.Events.Where(e => target.Endpoint.Wants(e.Type)).Select(e => (e, payload.Body(workspace, e))).ToList();
        if (page.ReadThrough > target.Position)
        {
            await store.EnqueueAsync(workspace, id, target.Position, wanted, page.ReadThrough, now, ct);
        }
        return (target, page.Events.Count == o.BatchSize);
    }

    private async Task SendAsync(DeliveryTarget target, WebhookDelivery delivery, CancellationToken ct)
    {
        var o = options.Value;
        var endpoint = target.Endpoint;
        var id = payload.Id(endpoint.Workspace, delivery.Event);
        // The body as stored now, not as read with the due deliveries: a redaction meanwhile has emptied it.
        var stored = await store.BodyAsync(endpoint.Workspace, endpoint.Id, delivery.Event, ct) ?? "";
        var body = stored.Length > 0 ? stored : await BodyAgainAsync(endpoint.Workspace, delivery, ct);
        // The request's span; HttpClient sends its trace context to the receiver.
        using var span = TimelyTracing.Source.StartActivity("webhook send");
        span?.SetTag(TimelyTracing.WorkspaceAttribute, endpoint.Workspace);
        span?.SetTag(TimelyTracing.ConversationAttribute, delivery.ConversationId.ToString());
        span?.SetTag("timely.webhook.endpoint.id", endpoint.Id.ToString());
        span?.SetTag("timely.webhook.id", id);
        span?.SetTag("timely.webhook.attempt", delivery.Attempts + 1);
        var started = clock.GetTimestamp();
        var outcome = await sender.SendAsync(endpoint.Url, id, body, target.Secrets, ct);
        metrics.WebhookSent(outcome.Acknowledged ? WebhookOutcome.Acknowledged : outcome.Gone ? WebhookOutcome.Gone : WebhookOutcome.Failed,
            clock.GetElapsedTime(started));
        span?.SetTag("http.response.status_code", outcome.StatusCode);
        var now = clock.GetUtcNow();
        if (outcome.Acknowledged)
        {
            await store.AcknowledgedAsync(endpoint.Workspace, endpoint.Id, delivery, outcome.StatusCode, now, ct);
            return;
        }
        span?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        var retryAt = now + Backoff.Delay(delivery.Attempts + 1, o.FirstRetryDelay, o.MaxRetryDelay, Random.Shared.NextDouble());
        var disabled = await store.FailedAsync(endpoint.Workspace, endpoint.Id, delivery, outcome, now, retryAt,
            outcome.Gone ? "the endpoint answered 410 Gone" : null, now - o.DisableAfter,
            $"failed without a success for more than {o.DisableAfter}; last error: {outcome.Error}", ct);
        if (disabled)
        {
            metrics.WebhookEndpointDisabled();
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
