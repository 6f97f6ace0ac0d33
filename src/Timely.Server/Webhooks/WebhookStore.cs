using System.Data.Common;
using Dapper;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Webhooks;

/// <summary>Endpoints, their secrets and delivery positions, and the per-event deliveries, in the
/// service's database (migration 0006). Every statement on an endpoint is scoped by workspace; the
/// one cross-workspace read is <see cref="ListDeliverableAsync"/>, the dispatcher's round.</summary>
public sealed class WebhookStore(Database db)
{
    private const string Columns =
        "workspace, id, url, event_types, agent_id, channel_id, conversation_id, statuses, enabled, disabled_reason, " +
        "previous_secret_until, version, created_at, updated_at";

    private const string DeliveryColumns =
        "event_tx, event_id, event_type, conversation_id, attempts, last_status, last_error, next_attempt_at, delivered_at, created_at";

    /// <summary>How much earlier than a round's start a redaction may be stamped and still race with its read
    /// of the log (replicas' clocks agree to well within it: they all take the database's time).</summary>
    private const long RedactionMargin = 5_000_000;

    public Task CreateAsync(WebhookEndpoint e, string secret, EventPosition position, CancellationToken ct) =>
        db.WriteAsync(w => w.Connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO webhook_endpoints (workspace, id, url, event_types, agent_id, channel_id, conversation_id, statuses, enabled, " +
            "disabled_reason, secret, position_tx, position_id, version, created_at, updated_at) VALUES (@Workspace, @Id, @Url, " +
            "@EventTypes, @AgentId, @ChannelId, @ConversationId, @Statuses, @Enabled, '', @Secret, @Tx, @PositionId, 1, @Now, @Now)",
            new
            {
                e.Workspace, Id = e.Id.ToString(), e.Url, EventTypes = Numbers(e.EventTypes), AgentId = e.Filter.AgentId?.ToString(),
                ChannelId = e.Filter.ChannelId?.ToString(), ConversationId = e.Filter.ConversationId?.ToString(),
                Statuses = Numbers(e.Filter.Statuses), Enabled = e.Enabled ? 1L : 0L, Secret = secret, position.Tx,
                PositionId = position.Id, Now = Micros.From(e.CreatedAt),
            }, w.Transaction, cancellationToken: ct)), ct);

    public Task<WebhookEndpoint?> GetAsync(string workspace, Guid id, CancellationToken ct) =>
        db.ReadAsync(c => LoadAsync(c, null, workspace, id, ct), ct);

    /// <summary>One endpoint of the workspace, or null; inside <paramref name="tx"/> when given.</summary>
    private static async Task<WebhookEndpoint?> LoadAsync(DbConnection c, DbTransaction? tx, string workspace, Guid id, CancellationToken ct) =>
        (await c.QuerySingleOrDefaultAsync<EndpointRow>(new CommandDefinition(
            $"SELECT {Columns} FROM webhook_endpoints WHERE workspace = @Workspace AND id = @Id",
            new { Workspace = workspace, Id = id.ToString() }, tx, cancellationToken: ct)))?.ToDomain();

    /// <summary>Endpoints oldest first, after the keyset position (created_at, id).</summary>
    public Task<IReadOnlyList<WebhookEndpoint>> ListAsync(string workspace, (long CreatedAt, Guid Id)? after, int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<WebhookEndpoint>>(async c => (await c.QueryAsync<EndpointRow>(new CommandDefinition(
            $"SELECT {Columns} FROM webhook_endpoints WHERE workspace = @Workspace AND (created_at, id) > (@CreatedAt, @Id) " +
            "ORDER BY created_at, id LIMIT @Limit",
            new { Workspace = workspace, CreatedAt = after?.CreatedAt ?? long.MinValue, Id = after?.Id.ToString() ?? "", Limit = limit },
            cancellationToken: ct))).Select(r => r.ToDomain()).ToList(), ct);

    /// <summary>Changes an endpoint (when its version is <paramref name="etag"/>, if given); null when it does not exist.</summary>
    public Task<WebhookEndpoint?> UpdateAsync(string workspace, Guid id, long? etag, Func<WebhookEndpoint, WebhookEndpoint> change, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var current = await LoadAsync(w.Connection, w.Transaction, workspace, id, ct);
            if (current is null)
            {
                return null;
            }
            CheckEtag(current, etag);
            var e = change(current) with { UpdatedAt = now, Version = current.Version + 1 };
            await w.Connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_endpoints SET url = @Url, event_types = @EventTypes, agent_id = @AgentId, channel_id = @ChannelId, " +
                "conversation_id = @ConversationId, statuses = @Statuses, enabled = @Enabled, disabled_reason = @DisabledReason, " +
                "failing_since = CASE WHEN @Enabled = 1 AND enabled = 0 THEN NULL ELSE failing_since END, " +
                "version = @Version, updated_at = @Now WHERE workspace = @Workspace AND id = @Id",
                new
                {
                    e.Url, EventTypes = Numbers(e.EventTypes), AgentId = e.Filter.AgentId?.ToString(), ChannelId = e.Filter.ChannelId?.ToString(),
                    ConversationId = e.Filter.ConversationId?.ToString(), Statuses = Numbers(e.Filter.Statuses), Enabled = e.Enabled ? 1L : 0L,
                    e.DisabledReason, e.Version, Now = Micros.From(now), Workspace = workspace, Id = id.ToString(),
                }, w.Transaction, cancellationToken: ct));
            return e;
        }, ct);

    /// <summary>Deletes an endpoint and its deliveries; false when it does not exist.</summary>
    public Task<bool> DeleteAsync(string workspace, Guid id, long? etag, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var current = await LoadAsync(w.Connection, w.Transaction, workspace, id, ct);
            if (current is null)
            {
                return false;
            }
            CheckEtag(current, etag);
            await w.Connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM webhook_deliveries WHERE workspace = @Workspace AND endpoint_id = @Id; " +
                "DELETE FROM webhook_endpoints WHERE workspace = @Workspace AND id = @Id",
                new { Workspace = workspace, Id = id.ToString() }, w.Transaction, cancellationToken: ct));
            return true;
        }, ct);

    /// <summary>Makes <paramref name="secret"/> the signing secret; the current one keeps signing until <paramref name="previousUntil"/>.</summary>
    public Task<bool> RotateSecretAsync(string workspace, Guid id, string secret, DateTimeOffset now, DateTimeOffset previousUntil, CancellationToken ct) =>
        db.WriteAsync(async w => await w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = @Until, secret = @Secret, " +
            "version = version + 1, updated_at = @Now WHERE workspace = @Workspace AND id = @Id",
            new { Secret = secret, Until = Micros.From(previousUntil), Now = Micros.From(now), Workspace = workspace, Id = id.ToString() },
            w.Transaction, cancellationToken: ct)) == 1, ct);

    /// <summary>Deliveries of an endpoint, newest event first, before the keyset position.</summary>
    public Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string workspace, Guid endpointId, EventPosition? before, int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<WebhookDelivery>>(async c => (await c.QueryAsync<DeliveryRow>(new CommandDefinition(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE workspace = @Workspace AND endpoint_id = @Id " +
            "AND (event_tx, event_id) < (@Tx, @EventId) ORDER BY event_tx DESC, event_id DESC LIMIT @Limit",
            new { Workspace = workspace, Id = endpointId.ToString(), Tx = before?.Tx ?? long.MaxValue, EventId = before?.Id ?? long.MaxValue, Limit = limit },
            cancellationToken: ct))).Select(r => r.ToDomain()).ToList(), ct);

    /// <summary>Moves an endpoint's position back to <paramref name="after"/>: every event after it is read
    /// and delivered again (its delivery records start over).</summary>
    public Task<bool> RewindAsync(string workspace, Guid id, EventPosition after, CancellationToken ct) =>
        db.WriteAsync(async w => await w.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM webhook_deliveries WHERE workspace = @Workspace AND endpoint_id = @Id AND (event_tx, event_id) > (@Tx, @EventId); " +
            "UPDATE webhook_endpoints SET position_tx = @Tx, position_id = @EventId WHERE workspace = @Workspace AND id = @Id",
            new { Workspace = workspace, Id = id.ToString(), after.Tx, EventId = after.Id }, w.Transaction, cancellationToken: ct)) > 0, ct);

    // Delivery, for WebhookDispatcher.

    /// <summary>The enabled endpoints of every workspace (the dispatcher's round; the one cross-workspace read).</summary>
    public Task<IReadOnlyList<(string Workspace, Guid Id)>> ListDeliverableAsync(CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<(string, Guid)>>(async c => (await c.QueryAsync<(string, string)>(new CommandDefinition(
            "SELECT workspace, id FROM webhook_endpoints WHERE enabled = 1", cancellationToken: ct)))
            .Select(r => (r.Item1, Guid.Parse(r.Item2))).ToList(), ct);

    /// <summary>Takes or renews the endpoint's lease for <paramref name="owner"/>: false while another
    /// replica holds an unexpired one.</summary>
    public Task<bool> TryLeaseAsync(string workspace, Guid id, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken ct) =>
        db.WriteAsync(async w => await w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_endpoints SET lease_owner = @Owner, lease_until = @Until WHERE workspace = @Workspace AND id = @Id " +
            "AND enabled = 1 AND (lease_owner IS NULL OR lease_owner = @Owner OR lease_until < @Now)",
            new { Owner = owner, Until = Micros.From(now + duration), Now = Micros.From(now), Workspace = workspace, Id = id.ToString() },
            w.Transaction, cancellationToken: ct)) == 1, ct);

    public Task ReleaseLeaseAsync(string workspace, Guid id, string owner, CancellationToken ct) =>
        db.WriteAsync(w => w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE workspace = @Workspace AND id = @Id AND lease_owner = @Owner",
            new { Owner = owner, Workspace = workspace, Id = id.ToString() }, w.Transaction, cancellationToken: ct)), ct);

    /// <summary>The endpoint with its signing secrets and position, and how many of its deliveries are pending.</summary>
    public Task<(DeliveryTarget? Target, int Pending)> GetTargetAsync(string workspace, Guid id, DateTimeOffset now, CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            var row = await c.QuerySingleOrDefaultAsync<EndpointRow>(new CommandDefinition(
                $"SELECT {Columns}, secret, previous_secret, position_tx, position_id FROM webhook_endpoints WHERE workspace = @Workspace AND id = @Id",
                new { Workspace = workspace, Id = id.ToString() }, cancellationToken: ct));
            if (row is null)
            {
                return ((DeliveryTarget?)null, 0);
            }
            var pending = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE workspace = @Workspace AND endpoint_id = @Id AND delivered_at IS NULL",
                new { Workspace = workspace, Id = id.ToString() }, cancellationToken: ct));
            var endpoint = row.ToDomain();
            List<string> secrets = [row.Secret!];
            if (row.PreviousSecret is { } previous && endpoint.PreviousSecretUntil > now)
            {
                secrets.Add(previous);
            }
            return (new DeliveryTarget(endpoint, secrets, new EventPosition(row.PositionTx, row.PositionId)), (int)pending);
        }, ct);

    /// <summary>Records the events read from the log as pending deliveries, due now, and moves the
    /// endpoint's position from <paramref name="from"/> to <paramref name="readThrough"/>, in one
    /// transaction; nothing when the position is no longer <paramref name="from"/> (a redelivery moved
    /// it meanwhile: the next round reads from there).</summary>
    public Task EnqueueAsync(string workspace, Guid id, EventPosition from, IReadOnlyList<(ConversationEvent Event, string Body)> events, EventPosition readThrough, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var at = Micros.From(now);
            if (await w.Connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_endpoints SET position_tx = @Tx, position_id = @EventId WHERE workspace = @Workspace AND id = @Id " +
                "AND position_tx = @FromTx AND position_id = @FromId",
                new { Workspace = workspace, Id = id.ToString(), readThrough.Tx, EventId = readThrough.Id, FromTx = from.Tx, FromId = from.Id },
                w.Transaction, cancellationToken: ct)) == 0)
            {
                return 0;
            }
            foreach (var (e, body) in events)
            {
                await w.Connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO webhook_deliveries (workspace, endpoint_id, event_tx, event_id, event_type, conversation_id, attempts, " +
                    "last_status, last_error, next_attempt_at, delivered_at, created_at, body) VALUES (@Workspace, @Id, @Tx, @EventId, " +
                    "@Type, @ConversationId, 0, 0, '', @Now, NULL, @Now, @Body) ON CONFLICT DO NOTHING",
                    new
                    {
                        Workspace = workspace, Id = id.ToString(), e.Position.Tx, EventId = e.Position.Id, Type = (long)e.Type,
                        ConversationId = e.Conversation.Id.ToString(), Now = at, Body = body,
                    }, w.Transaction, cancellationToken: ct));
            }
            if (events.Count > 0)
            {
                // A redaction that committed after the log was read scrubbed the deliveries stored then
                // (EventLog.ScrubMessage), not these: empty their bodies too, to be rendered again from the
                // log when sent. Conservative: any redaction in the conversation since shortly before the read.
                await w.Connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE webhook_deliveries SET body = '' WHERE workspace = @Workspace AND endpoint_id = @Id " +
                    "AND (event_tx, event_id) > (@FromTx, @FromId) AND EXISTS (SELECT 1 FROM messages m WHERE m.workspace = @Workspace " +
                    "AND m.conversation_id = webhook_deliveries.conversation_id AND m.redacted_at >= @Since)",
                    new { Workspace = workspace, Id = id.ToString(), FromTx = from.Tx, FromId = from.Id, Since = at - RedactionMargin },
                    w.Transaction, cancellationToken: ct));
            }
            return events.Count;
        }, ct);

    /// <summary>Deliveries due now that are the oldest pending one of their conversation (so that a
    /// conversation's events go out in log order, one at a time), oldest first.</summary>
    public Task<IReadOnlyList<WebhookDelivery>> DueAsync(string workspace, Guid id, DateTimeOffset now, int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<WebhookDelivery>>(async c => (await c.QueryAsync<DeliveryRow>(new CommandDefinition(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries d WHERE d.workspace = @Workspace AND d.endpoint_id = @Id " +
            "AND d.delivered_at IS NULL AND d.next_attempt_at <= @Now AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p " +
            "WHERE p.workspace = @Workspace AND p.endpoint_id = @Id AND p.conversation_id = d.conversation_id " +
            "AND p.delivered_at IS NULL AND (p.event_tx, p.event_id) < (d.event_tx, d.event_id)) " +
            "ORDER BY d.event_tx, d.event_id LIMIT @Limit",
            new { Workspace = workspace, Id = id.ToString(), Now = Micros.From(now), Limit = limit }, cancellationToken: ct)))
            .Select(r => r.ToDomain()).ToList(), ct);

    /// <summary>The stored body of a delivery right before it is sent (empty after a redaction; null once a
    /// redelivery deleted the record).</summary>
    public Task<string?> BodyAsync(string workspace, Guid id, EventPosition e, CancellationToken ct) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT body FROM webhook_deliveries WHERE workspace = @Workspace AND endpoint_id = @Id AND event_tx = @Tx AND event_id = @EventId",
            new { Workspace = workspace, Id = id.ToString(), e.Tx, EventId = e.Id }, cancellationToken: ct)), ct);

    /// <summary>Records an acknowledged delivery; the endpoint is no longer failing. Like <see cref="FailedAsync"/>
    /// it updates the record that was sent (its created_at), not one a redelivery recorded for the same event
    /// while the request was in flight: that one still goes.</summary>
    public Task AcknowledgedAsync(string workspace, Guid id, WebhookDelivery d, int status, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync(w => w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = @Status, last_error = '', next_attempt_at = NULL, " +
            "delivered_at = @Now WHERE workspace = @Workspace AND endpoint_id = @Id AND event_tx = @Tx AND event_id = @EventId " +
            "AND created_at = @CreatedAt; " +
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE workspace = @Workspace AND id = @Id",
            new
            {
                Status = (long)status, Now = Micros.From(now), Workspace = workspace, Id = id.ToString(), d.Event.Tx, EventId = d.Event.Id,
                CreatedAt = Micros.From(d.CreatedAt),
            },
            w.Transaction, cancellationToken: ct)), ct);

    /// <summary>Records a failed attempt and when to retry. The endpoint is disabled with
    /// <paramref name="disableReason"/> when given, or once it has been failing since before
    /// <paramref name="disableIfFailingSince"/>. Returns true when the endpoint got disabled.</summary>
    public Task<bool> FailedAsync(string workspace, Guid id, WebhookDelivery d, SendOutcome outcome, DateTimeOffset now, DateTimeOffset retryAt,
        string? disableReason, DateTimeOffset disableIfFailingSince, string failingReason, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var p = new
            {
                Status = (long)outcome.StatusCode, Error = outcome.Error, Now = Micros.From(now), RetryAt = Micros.From(retryAt),
                Workspace = workspace, Id = id.ToString(), d.Event.Tx, EventId = d.Event.Id, CreatedAt = Micros.From(d.CreatedAt),
                Reason = disableReason ?? failingReason, Force = disableReason is null ? 0L : 1L, Since = Micros.From(disableIfFailingSince),
            };
            await w.Connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = @Status, last_error = @Error, next_attempt_at = @RetryAt " +
                "WHERE workspace = @Workspace AND endpoint_id = @Id AND event_tx = @Tx AND event_id = @EventId AND created_at = @CreatedAt; " +
                "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, @Now) WHERE workspace = @Workspace AND id = @Id",
                p, w.Transaction, cancellationToken: ct));
            return await w.Connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = @Reason, version = version + 1, updated_at = @Now " +
                "WHERE workspace = @Workspace AND id = @Id AND enabled = 1 AND (@Force = 1 OR failing_since < @Since)",
                p, w.Transaction, cancellationToken: ct)) == 1;
        }, ct);

    /// <summary>Deletes delivery records older than <paramref name="olderThan"/> (their events are gone from the log too).</summary>
    public Task PruneAsync(DateTimeOffset olderThan, CancellationToken ct) =>
        db.WriteAsync(w => w.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM webhook_deliveries WHERE created_at < @Before", new { Before = Micros.From(olderThan) }, w.Transaction, cancellationToken: ct)), ct);

    private static void CheckEtag(WebhookEndpoint current, long? etag)
    {
        if (etag is { } expected && expected != current.Version)
        {
            throw new EtagMismatchException($"webhook endpoint {current.Id} changed since etag {expected} (now {current.Version}); get it and retry");
        }
    }

    private static string Numbers<T>(IEnumerable<T> values) where T : Enum =>
        string.Join(',', values.Select(v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)));

    private static IReadOnlyList<T> Parse<T>(string text) where T : struct, Enum =>
        text.Length == 0 ? [] : text.Split(',').Select(n => (T)Enum.ToObject(typeof(T), long.Parse(n, System.Globalization.CultureInfo.InvariantCulture))).ToList();

    private sealed class EndpointRow
    {
        public string Workspace { get; init; } = "";
        public string Id { get; init; } = "";
        public string Url { get; init; } = "";
        public string EventTypes { get; init; } = "";
        public string? AgentId { get; init; }
        public string? ChannelId { get; init; }
        public string? ConversationId { get; init; }
        public string Statuses { get; init; } = "";
        public long Enabled { get; init; }
        public string DisabledReason { get; init; } = "";
        public long? PreviousSecretUntil { get; init; }
        public long Version { get; init; }
        public long CreatedAt { get; init; }
        public long UpdatedAt { get; init; }
        public string? Secret { get; init; }
        public string? PreviousSecret { get; init; }
        public long PositionTx { get; init; }
        public long PositionId { get; init; }

        public WebhookEndpoint ToDomain() => new(
            Workspace, Guid.Parse(Id), Url, Parse<ConversationEventType>(EventTypes),
            new EventFilter(
                AgentId is null ? null : Guid.Parse(AgentId), ChannelId is null ? null : Guid.Parse(ChannelId),
                ConversationId is null ? null : Guid.Parse(ConversationId), Parse<ConversationStatus>(Statuses)),
            Enabled == 1, DisabledReason, Micros.ToTime(CreatedAt), Micros.ToTime(UpdatedAt),
            PreviousSecretUntil is { } until ? Micros.ToTime(until) : null, Version);
    }

    private sealed class DeliveryRow
    {
        public long EventTx { get; init; }
        public long EventId { get; init; }
        public long EventType { get; init; }
        public string ConversationId { get; init; } = "";
        public long Attempts { get; init; }
        public long LastStatus { get; init; }
        public string LastError { get; init; } = "";
        public long? NextAttemptAt { get; init; }
        public long? DeliveredAt { get; init; }
        public long CreatedAt { get; init; }

        public WebhookDelivery ToDomain() => new(
            new EventPosition(EventTx, EventId), (ConversationEventType)EventType, Guid.Parse(ConversationId), (int)Attempts,
            (int)LastStatus, LastError, NextAttemptAt is { } next ? Micros.ToTime(next) : null,
            DeliveredAt is { } at ? Micros.ToTime(at) : null, Micros.ToTime(CreatedAt));
    }
}
