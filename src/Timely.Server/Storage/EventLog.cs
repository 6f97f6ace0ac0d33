using Dapper;
using Timely.Server.Domain;

namespace Timely.Server.Storage;

/// <summary>Reads of the append-only event log behind WatchConversations, and its retention. Events are
/// written by <see cref="ConversationStore"/> in the transaction of the change they record, and ordered
/// by <see cref="EventPosition"/>.</summary>
public sealed class EventLog(Database db)
{
    private const int PruneBatch = 1000;

    /// <summary>The ids of a conversation's events (parameters @Workspace, @ConversationId): its message events
    /// through its messages, the others through the index of the events without a message. No index keeps a
    /// message's event next to its conversation's other events: on SQLite's physical log that index cost a page
    /// per conversation per commit (0012_events_found_by_message.sql). Needs the conversation's messages, so an
    /// erasure scrubs the events before it deletes them (ErasureRunner). The messages' ids are one list, read once, each
    /// looked up in the index of message events: as a join, SQLite's planner (no statistics) walked every message
    /// event of the workspace instead.</summary>
    public static string ConversationEventIds(StoreDialect dialect) =>
        "SELECT id FROM events WHERE workspace = @Workspace AND conversation_id = @ConversationId AND message_id IS NULL " +
        "UNION ALL SELECT id FROM events WHERE " + OfConversationMessages(dialect);

    /// <summary>The condition on a table's message_id that finds the rows of a conversation's messages (parameters
    /// @Workspace, @ConversationId): the messages' ids read once, each looked up by (workspace, message_id).</summary>
    public static string OfConversationMessages(StoreDialect dialect) =>
        "workspace = @Workspace AND " + dialect.AnyOf("message_id", ConversationMessageIds);

    /// <summary>The ids of a conversation's messages (parameters @Workspace, @ConversationId).</summary>
    private const string ConversationMessageIds = "SELECT id FROM messages WHERE workspace = @Workspace AND conversation_id = @ConversationId";

    private const string PrunedThrough =
        "SELECT (SELECT value FROM counters WHERE name = 'events_pruned_through_tx') AS tx, " +
        "(SELECT value FROM counters WHERE name = 'events_pruned_through') AS id";

    /// <summary>Final events after <paramref name="after"/> that match the filter, and how far the log was read.
    /// With <paramref name="maxBytes"/>, only as many as fit in that many bytes (<see cref="ByteBudget"/>, at least
    /// one), counted as <see cref="StoreSql.EventBytes"/> does: the read itself stops there.</summary>
    public Task<EventPage> ListAsync(string workspace, EventFilter filter, EventPosition after, int limit, CancellationToken ct, long? maxBytes = null) =>
        db.ReadAsync(async c =>
        {
            // One snapshot for the events, the log's head and the retention mark, so that ReadThrough
            // never passes an event this read could not see.
            await using var tx = await db.Dialect.BeginSnapshotAsync(c, ct);
            var (sql, parameters) = StoreSql.ListEvents(db.Dialect, workspace, filter, after, limit, maxBytes);
            var cut = false;
            var rows = maxBytes is { } budget
                ? StoreSql.WithinBudget(await c.QueryAsync<EventRow, long, (EventRow, long)>(new CommandDefinition(sql, parameters, tx, cancellationToken: ct),
                    (row, bytes) => (row, bytes), splitOn: "row_bytes"), budget, out cut)
                : (await c.QueryAsync<EventRow>(new CommandDefinition(sql, parameters, tx, cancellationToken: ct))).ToList();
            var (head, pruned) = await BoundsAsync(c, tx, ct);
            var pending = db.Dialect.PendingEventsSql is { } pendingSql
                && await c.ExecuteScalarAsync<bool>(new CommandDefinition(pendingSql, new { Workspace = workspace }, tx, cancellationToken: ct));
            var messageIds = rows.Where(r => r.MessageId is not null).Select(r => r.MessageId!).ToList();
            var messages = new Dictionary<string, Message>();
            if (messageIds.Count > 0)
            {
                var p = new DynamicParameters(new { Workspace = workspace });
                var sqlMessages = $"SELECT {StoreSql.MessageColumns} FROM messages WHERE workspace = @Workspace AND id IN {StoreSql.List(p, "Id", messageIds)}";
                foreach (var m in await c.QueryAsync<MessageRow>(new CommandDefinition(sqlMessages, p, tx, cancellationToken: ct)))
                {
                    messages[m.Id] = m.ToDomain();
                }
            }
            await tx.CommitAsync(ct);

            var events = rows.Select(r => r.ToDomain(r.MessageId is null ? null : messages.GetValueOrDefault(r.MessageId))).ToList();
            var full = cut || rows.Count == limit;
            var readThrough = full ? events[^1].Position : EventPosition.Max(after, head);
            return new EventPage(events, readThrough, pruned, pending, full);
        }, ct);

    /// <summary>The present of the log: a watch that starts here receives every event that becomes final
    /// after it. Never below what retention deleted, so a watch from the present works on an emptied log.</summary>
    public Task<EventPosition> GetPresentAsync(CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            var (head, pruned) = await BoundsAsync(c, null, ct);
            return EventPosition.Max(head, pruned);
        }, ct);

    /// <summary>The present of the log for a watch of <paramref name="workspace"/> that starts now, and the ids of
    /// the workspace's events committed above it (on PostgreSQL while an older transaction runs, see
    /// PostgresDialect): the watch skips those, so it begins exactly after everything committed before it
    /// instead of repeating them when they become final. (Past <see cref="MaxCommittedAboveHead"/> of them,
    /// the rest may be delivered.)</summary>
    public Task<LogPresent> GetPresentAsync(string workspace, CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            await using var tx = await db.Dialect.BeginSnapshotAsync(c, ct);
            var (head, pruned) = await BoundsAsync(c, tx, ct);
            var committed = db.Dialect.CommittedAboveHeadSql is { } sql
                ? (await c.QueryAsync<long>(new CommandDefinition(
                    sql, new { Workspace = workspace, Limit = MaxCommittedAboveHead }, tx, cancellationToken: ct))).ToHashSet()
                : [];
            await tx.CommitAsync(ct);
            return new LogPresent(EventPosition.Max(head, pruned), committed);
        }, ct);

    private const int MaxCommittedAboveHead = 10_000;

    /// <summary>How many events the log holds, and when its oldest one occurred (null when empty).</summary>
    public Task<(long Count, DateTimeOffset? Oldest)> StatisticsAsync(CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            var (count, oldest) = await c.QuerySingleAsync<(long, long?)>(new CommandDefinition(
                "SELECT (SELECT COUNT(*) FROM events), (SELECT occurred_at FROM events ORDER BY tx, id LIMIT 1)", cancellationToken: ct));
            return (count, oldest is { } micros ? Micros.ToTime(micros) : (DateTimeOffset?)null);
        }, ct);

    /// <summary>Deletes the oldest final events while they are older than <paramref name="olderThan"/>: a
    /// prefix of the log (so a cursor is either intact or OUT_OF_RANGE) that stops at the first event not
    /// old enough, so an event stamped by a lagging clock never carries newer ones away. Then request ids
    /// and inbound dedupe records as old. In batches, each its own transaction: writers wait for one
    /// batch at most, also after a long downtime.</summary>
    public async Task PruneAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        var before = Micros.From(olderThan);
        while (await PruneEventsAsync(before, ct))
        {
        }
        foreach (var (table, key) in new[] { ("request_ids", "workspace, request_id"), ("inbound_messages", "workspace, channel_id, external_id") })
        {
            var sql = $"DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} WHERE created_at < @Before LIMIT @Batch)";
            while (await db.WriteAsync(w => w.Connection.ExecuteAsync(new CommandDefinition(
                sql, new { Before = before, Batch = PruneBatch }, w.Transaction, cancellationToken: ct)), ct) == PruneBatch)
            {
            }
        }
    }

    /// <summary>The one place that scrubs a message's text out of what the log's readers stored from it, in
    /// the batch of the write that redacts it (issue 21; erasing a whole conversation, issue 22, scrubs
    /// the same places). Event rows never hold message text (readers join the message as it is now), but
    /// webhook deliveries keep the body they were read with: each one that carries the message is emptied,
    /// and the dispatcher renders an empty body again from the log when it sends it. For a customer message
    /// that could have given the conversation its automatic subject (<paramref name="erasedSubject"/>, see
    /// Receipts.SubjectFrom), that subject is cut out of the conversation snapshots of the conversation's
    /// events (even if the subject was changed since), and every webhook body of the conversation is emptied. (A webhook round that read the log before this write
    /// commits stores its bodies after it: WebhookStore.EnqueueAsync empties those.)</summary>
    public static void ScrubMessage(StoreDialect dialect, StatementBatch batch, string workspace, Guid conversationId, Guid messageId, string? erasedSubject)
    {
        var p = new { Workspace = workspace, ConversationId = conversationId.ToString(), Pattern = $"%{messageId}%" };
        if (erasedSubject is null)
        {
            batch.Add("UPDATE webhook_deliveries SET body = '' WHERE workspace = @Workspace AND conversation_id = @ConversationId " +
                      "AND body LIKE @Pattern", p);
            return;
        }
        batch.Add("UPDATE webhook_deliveries SET body = '' WHERE workspace = @Workspace AND conversation_id = @ConversationId", p);
        // The snapshots are ConversationRow as JSON (Rows.cs), so the subject is the property "Subject".
        batch.Add($"UPDATE events SET conversation = REPLACE(conversation, @Subject, @Empty) WHERE workspace = @Workspace AND id IN ({ConversationEventIds(dialect)})",
            new
            {
                Workspace = workspace,
                ConversationId = conversationId.ToString(),
                Subject = "\"Subject\":" + System.Text.Json.JsonSerializer.Serialize(erasedSubject),
                Empty = "\"Subject\":\"\"",
            });
    }

    /// <summary>Prunes one batch of events; true when there may be more to prune.</summary>
    private Task<bool> PruneEventsAsync(long before, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var pruned = await PositionAsync(w.Connection, PrunedThrough, w.Transaction, ct);
            var oldest = (await w.Connection.QueryAsync<(long Tx, long Id, long OccurredAt)>(new CommandDefinition(
                $"SELECT tx, id, occurred_at FROM events c WHERE (c.tx, c.id) > (@Tx, @Id){db.Dialect.FinalEventsCondition} ORDER BY c.tx, c.id LIMIT @Batch",
                new { pruned.Tx, pruned.Id, Batch = PruneBatch }, w.Transaction, cancellationToken: ct))).ToList();
            var old = oldest.TakeWhile(e => e.OccurredAt < before).ToList();
            if (old.Count == 0)
            {
                return false;
            }
            await w.Connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM events WHERE (tx, id) <= (@Tx, @Id); " +
                "UPDATE counters SET value = @Tx WHERE name = 'events_pruned_through_tx'; " +
                "UPDATE counters SET value = @Id WHERE name = 'events_pruned_through'",
                new { old[^1].Tx, old[^1].Id }, w.Transaction, cancellationToken: ct));
            return old.Count == PruneBatch;
        }, ct);

    /// <summary>The log's head and the retention mark, in one statement (so in one snapshot).</summary>
    private async Task<(EventPosition Head, EventPosition Pruned)> BoundsAsync(
        System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? tx, CancellationToken ct)
    {
        var (headTx, headId, prunedTx, prunedId) = await c.QuerySingleAsync<(long, long, long, long)>(new CommandDefinition(
            "SELECT head.tx, head.id, pruned.tx, pruned.id " +
            $"FROM ({db.Dialect.EventLogHeadSql}) AS head, ({PrunedThrough}) AS pruned", transaction: tx, cancellationToken: ct));
        return (new EventPosition(headTx, headId), new EventPosition(prunedTx, prunedId));
    }

    private static async Task<EventPosition> PositionAsync(System.Data.Common.DbConnection c, string sql, System.Data.Common.DbTransaction tx, CancellationToken ct)
    {
        var (txId, id) = await c.QuerySingleAsync<(long, long)>(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
        return new EventPosition(txId, id);
    }
}

/// <summary>Where a watch from the present starts, and the ids of events after it that it skips (committed
/// before it started, not final yet).</summary>
public sealed record LogPresent(EventPosition Position, IReadOnlySet<long> CommittedAbove)
{
    /// <summary>Whether a watch from this present delivers <paramref name="e"/>.</summary>
    public bool IsAfter(ConversationEvent e) => !CommittedAbove.Contains(e.Position.Id);
}
