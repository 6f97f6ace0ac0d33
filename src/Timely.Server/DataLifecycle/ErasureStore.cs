using System.Text.Json;
using Dapper;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.DataLifecycle;

/// <summary>The SQL of erasures, on both stores: the erasure records, the steps of erasing one conversation
/// (each a short transaction of its own, so writers wait for one batch at most), and the retention
/// policies. Erasing a conversation: <see cref="DetachAsync"/> deletes its row under its write lock and
/// appends its ERASED event (from then on no API finds it and no write reaches it), then
/// <see cref="ScrubEventLogAsync"/> turns its events into tombstones and <see cref="EraseRowsAsync"/>
/// deletes its rows in the <see cref="ConversationScopedTables"/>, batch by batch. Every step is safe
/// to repeat, so an erasure interrupted anywhere continues where it stopped, on any replica.</summary>
public sealed class ErasureStore(Database db)
{
    /// <summary>A table with rows of one conversation (columns workspace and conversation_id), and the
    /// columns that name one row; <paramref name="Counter"/> is the erasures column that counts its rows.
    /// <paramref name="Rows"/>: the query of the keys of the conversation's rows (@Workspace, @ConversationId) in a
    /// dialect, when they are not found by the table's own conversation_id.</summary>
    public sealed record ConversationScopedTable(string Name, string Key, string Counter = "records_erased", Func<StoreDialect, string>? Rows = null)
    {
        public string RowsOfConversation(StoreDialect dialect) =>
            Rows?.Invoke(dialect) ?? $"SELECT {Key} FROM {Name} WHERE workspace = @Workspace AND conversation_id = @ConversationId";
    }

    /// <summary>A conversation's request ids: a created conversation's own by conversation, its messages' through the
    /// messages, as the event log finds its message events (EventLog.ConversationEventIds). An index of every id by
    /// conversation cost a page per conversation per commit on SQLite (migration 0014).</summary>
    internal static string ConversationRequestIds(StoreDialect dialect) =>
        "SELECT workspace, request_id FROM request_ids WHERE workspace = @Workspace AND conversation_id = @ConversationId AND message_id IS NULL " +
        "UNION ALL SELECT workspace, request_id FROM request_ids WHERE " + EventLog.OfConversationMessages(dialect);

    /// <summary>A conversation's inbound messages' dedupe records, through its messages (migration 0015), as its request ids.</summary>
    internal static string ConversationInboundMessages(StoreDialect dialect) =>
        "SELECT workspace, channel_id, external_id FROM inbound_messages WHERE " + EventLog.OfConversationMessages(dialect);

    public const string MessagesCounter = "messages_erased";

    /// <summary>THE list of the tables an erasure deletes a conversation's rows from, in this order: a table
    /// whose rows refer to another table's rows comes before it (the records that replay a write's result
    /// before the messages they name; the messages, which search finds without their conversation, next).
    /// A table added to the schema that holds a conversation's data belongs here.</summary>
    public static readonly IReadOnlyList<ConversationScopedTable> ConversationScopedTables =
    [
        new("request_ids", "workspace, request_id", Rows: ConversationRequestIds),
        new("inbound_messages", "workspace, channel_id, external_id", Rows: ConversationInboundMessages),
        new("message_revisions", "message_id, revision"),
        new("read_horizons", "conversation_id, participant_type, participant_id"),
        new("messages", "id", MessagesCounter),
        new("conversation_tags", "conversation_id, tag"),
        new("webhook_deliveries", "workspace, endpoint_id, event_tx, event_id"),
    ];

    private const string Columns =
        "workspace, id, reason, contact_id, closed_before, requested_by, created_at, finished_at, state, " +
        "conversations_erased, messages_erased, events_scrubbed, records_erased";

    private const string RunningForContact =
        $"SELECT {Columns} FROM erasures WHERE workspace = @Workspace AND state = 1 AND reason = 1 AND contact_id = @ContactId";

    private const string RunningForRetention =
        $"SELECT {Columns} FROM erasures WHERE workspace = @Workspace AND state = 1 AND reason = 2";

    private StoreDialect Dialect => db.Dialect;

    /// <summary>The running erasure of the same contact (or the workspace's running retention erasure), or a new one.</summary>
    public Task<Erasure> StartAsync(Erasure erasure, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var running = await w.Connection.QuerySingleOrDefaultAsync<ErasureRow>(new CommandDefinition(
                erasure.Reason == ErasureReason.Contact ? RunningForContact : RunningForRetention,
                new { erasure.Workspace, ContactId = erasure.ContactId?.ToString() }, w.Transaction, cancellationToken: ct));
            if (running is not null)
            {
                return running.ToDomain();
            }
            await w.Connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO erasures ({Columns}) VALUES (@Workspace, @Id, @Reason, @ContactId, @ClosedBefore, @RequestedBy, @CreatedAt, " +
                "@FinishedAt, @State, 0, 0, 0, 0)", ErasureRow.From(erasure), w.Transaction, cancellationToken: ct));
            return erasure;
        }, ct);

    public Task<Erasure?> GetAsync(string workspace, Guid id, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<ErasureRow>(new CommandDefinition(
            $"SELECT {Columns} FROM erasures WHERE workspace = @Workspace AND id = @Id",
            new { Workspace = workspace, Id = id.ToString() }, cancellationToken: ct)))?.ToDomain(), ct);

    /// <summary>A page of the workspace's erasures, newest first, after (created_at, id).</summary>
    public Task<IReadOnlyList<Erasure>> ListAsync(string workspace, (long CreatedAt, Guid Id)? after, int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<Erasure>>(async c => (await c.QueryAsync<ErasureRow>(new CommandDefinition(
            $"SELECT {Columns} FROM erasures WHERE workspace = @Workspace " +
            (after is null ? "" : "AND (created_at < @AfterCreated OR (created_at = @AfterCreated AND id < @AfterId)) ") +
            "ORDER BY created_at DESC, id DESC LIMIT @Limit",
            new { Workspace = workspace, AfterCreated = after?.CreatedAt, AfterId = after?.Id.ToString(), Limit = limit },
            cancellationToken: ct))).Select(r => r.ToDomain()).ToList(), ct);

    /// <summary>Running erasures of every workspace, oldest first.</summary>
    public Task<IReadOnlyList<(string Workspace, Guid Id)>> ListRunningAsync(int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<(string, Guid)>>(async c => (await c.QueryAsync<(string Workspace, string Id)>(new CommandDefinition(
            "SELECT workspace, id FROM erasures WHERE state = 1 ORDER BY created_at LIMIT @Limit", new { Limit = limit }, cancellationToken: ct)))
            .Select(r => (r.Workspace, Guid.Parse(r.Id))).ToList(), ct);

    /// <summary>Takes or renews the erasure's lease for <paramref name="owner"/>: false while another
    /// replica holds it, or when the erasure is no longer running.</summary>
    public Task<bool> TryLeaseAsync(string workspace, Guid id, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken ct) =>
        db.WriteAsync(async w => await w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE erasures SET lease_owner = @Owner, lease_until = @Until WHERE workspace = @Workspace AND id = @Id AND state = 1 " +
            "AND (lease_owner IS NULL OR lease_owner = @Owner OR lease_until < @Now)",
            new { Workspace = workspace, Id = id.ToString(), Owner = owner, Until = Micros.From(now + duration), Now = Micros.From(now) },
            w.Transaction, cancellationToken: ct)) == 1, ct);

    /// <summary>Conversations of the workspace that the erasure erases (checked again under their lock by <see cref="DetachAsync"/>).</summary>
    public Task<IReadOnlyList<Guid>> FindConversationsAsync(Erasure e, int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<Guid>>(async c => (await c.QueryAsync<string>(new CommandDefinition(
            e.Reason == ErasureReason.Contact
                ? "SELECT id FROM conversations WHERE workspace = @Workspace AND contact_id = @ContactId LIMIT @Limit"
                : "SELECT id FROM conversations WHERE workspace = @Workspace AND status = @Closed AND closed_at < @ClosedBefore LIMIT @Limit",
            new
            {
                e.Workspace,
                ContactId = e.ContactId?.ToString(),
                Closed = (long)ConversationStatus.Closed,
                ClosedBefore = Micros.From(e.ClosedBefore),
                Limit = limit,
            }, cancellationToken: ct))).Select(Guid.Parse).ToList(), ct);

    /// <summary>Under the conversation's write lock: when it still matches, deletes its row, records it as
    /// the erasure's item (with the tombstone its events will keep) and appends its ERASED event; its
    /// subscribers wake after the commit (StreamMessages ends with NOT_FOUND). False when it no longer matches.</summary>
    public Task<bool> DetachAsync(Erasure e, Guid conversationId, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var parameters = new
            {
                e.Workspace,
                Id = conversationId.ToString(),
                LockKey = ConversationStore.ConversationLock(e.Workspace, conversationId),
            };
            var sql = Dialect.LockSql is { } lockSql ? $"{lockSql};\n{StoreSql.GetConversation}" : StoreSql.GetConversation;
            using var read = await w.Connection.QueryMultipleAsync(new CommandDefinition(sql, parameters, w.Transaction, cancellationToken: ct));
            if (Dialect.LockSql is not null)
            {
                await read.ReadAsync<long>();
            }
            var conversation = (await read.ReadSingleOrDefaultAsync<ConversationRow>())?.ToDomain();
            if (conversation is null || !e.Matches(conversation))
            {
                return false;
            }
            var tombstone = Tombstone(conversation);
            var erased = EventRow.From(tombstone, new PendingEvent(ConversationEventType.Erased), now);
            var batch = new StatementBatch()
                .Add("DELETE FROM conversations WHERE workspace = @Workspace AND id = @Id", parameters)
                .Add("INSERT INTO erasure_items (workspace, erasure_id, conversation_id, tombstone) VALUES (@Workspace, @ErasureId, @ConversationId, @Tombstone)",
                    new { e.Workspace, ErasureId = e.Id.ToString(), ConversationId = conversationId.ToString(), Tombstone = erased.Conversation })
                .Add("INSERT INTO events (workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation) " +
                     "VALUES (@Workspace, @ConversationId, @AgentId, @ChannelId, @Type, @OccurredAt, @Status, @OldStatus, @MessageId, @Conversation)", erased)
                .Add("UPDATE erasures SET conversations_erased = conversations_erased + 1 WHERE workspace = @Workspace AND id = @Id",
                    new { e.Workspace, Id = e.Id.ToString() });
            await batch.ExecuteAsync(w, db, ct);
            w.Changed(e.Workspace, conversationId);
            return true;
        }, ct);

    /// <summary>The conversations the erasure detached and has not finished erasing, with their tombstones.</summary>
    public Task<IReadOnlyList<(Guid ConversationId, string Tombstone)>> ListItemsAsync(Erasure e, int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<(Guid, string)>>(async c => (await c.QueryAsync<(string ConversationId, string Tombstone)>(new CommandDefinition(
            "SELECT conversation_id, tombstone FROM erasure_items WHERE workspace = @Workspace AND erasure_id = @ErasureId ORDER BY conversation_id LIMIT @Limit",
            new { e.Workspace, ErasureId = e.Id.ToString(), Limit = limit }, cancellationToken: ct)))
            .Select(r => (Guid.Parse(r.ConversationId), r.Tombstone)).ToList(), ct);

    /// <summary>Scrubs the event log of an erased conversation: each of its events keeps its position (so
    /// cursors stay valid and a resumed watch has no gap) and becomes a tombstone: type ERASED, the
    /// conversation reduced to <paramref name="tombstone"/>, no message and no old status. One batch per
    /// transaction; returns how many events it scrubbed (fewer than the batch: none is left).</summary>
    public Task<int> ScrubEventLogAsync(Erasure e, Guid conversationId, string tombstone, int batchSize, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var scrubbed = await w.Connection.ExecuteAsync(new CommandDefinition(
                // The condition also outside the subquery: a concurrent run that scrubbed the same rows first
                // makes PostgreSQL re-check them here (not in the subquery), so no row is counted twice. The rows are
                // found by id alone (unique), so that the batch drives the update, not the conversation's every event.
                "UPDATE events SET type = @Erased, old_status = NULL, message_id = NULL, conversation = @Tombstone " +
                "WHERE workspace = @Workspace AND (type <> @Erased OR message_id IS NOT NULL) AND " +
                Dialect.AnyOf("id", $"SELECT id FROM events WHERE workspace = @Workspace AND id IN ({EventLog.ConversationEventIds(Dialect)}) " +
                "AND (type <> @Erased OR message_id IS NOT NULL) LIMIT @Batch"),
                new { e.Workspace, ConversationId = conversationId.ToString(), Erased = (long)ConversationEventType.Erased, Tombstone = tombstone, Batch = batchSize },
                w.Transaction, cancellationToken: ct));
            await CountAsync(w, e, "events_scrubbed", scrubbed, ct);
            return scrubbed;
        }, ct);

    /// <summary>Deletes one batch of the conversation's rows from <paramref name="table"/>; returns how many
    /// (fewer than the batch: none is left).</summary>
    public Task<int> EraseRowsAsync(Erasure e, Guid conversationId, ConversationScopedTable table, int batchSize, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var erased = await w.Connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table.Name} WHERE ({table.Key}) IN (SELECT {table.Key} FROM ({table.RowsOfConversation(Dialect)}) conversation_rows LIMIT @Batch)",
                new { e.Workspace, ConversationId = conversationId.ToString(), Batch = batchSize }, w.Transaction, cancellationToken: ct));
            await CountAsync(w, e, table.Counter, erased, ct);
            return erased;
        }, ct);

    /// <summary>The conversation is erased: nothing of it is left but its tombstones.</summary>
    public Task FinishItemAsync(Erasure e, Guid conversationId, CancellationToken ct) =>
        db.WriteAsync(w => w.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM erasure_items WHERE workspace = @Workspace AND erasure_id = @ErasureId AND conversation_id = @ConversationId",
            new { e.Workspace, ErasureId = e.Id.ToString(), ConversationId = conversationId.ToString() }, w.Transaction, cancellationToken: ct)), ct);

    /// <summary>Marks the erasure as succeeded when nothing it detached is left, and returns it; null
    /// otherwise (another run detached more meanwhile: run again).</summary>
    public async Task<Erasure?> FinishAsync(Erasure e, DateTimeOffset now, CancellationToken ct)
    {
        var finished = await db.WriteAsync(async w => await w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE erasures SET state = 2, finished_at = @Now, lease_owner = NULL, lease_until = NULL " +
            "WHERE workspace = @Workspace AND id = @Id AND state = 1 " +
            "AND NOT EXISTS (SELECT 1 FROM erasure_items WHERE workspace = @Workspace AND erasure_id = @Id)",
            new { e.Workspace, Id = e.Id.ToString(), Now = Micros.From(now) }, w.Transaction, cancellationToken: ct)) == 1, ct);
        return finished ? await GetAsync(e.Workspace, e.Id, ct) : null;
    }

    public Task<RetentionPolicy> GetPolicyAsync(string workspace, CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            var rows = (await c.QueryAsync<(long Days, long UpdatedAt)>(new CommandDefinition(
                "SELECT closed_conversation_days, updated_at FROM retention_policies WHERE workspace = @Workspace",
                new { Workspace = workspace }, cancellationToken: ct))).ToList();
            return rows is [var r] ? new RetentionPolicy(workspace, (int)r.Days, Micros.ToTime(r.UpdatedAt)) : new RetentionPolicy(workspace, 0, null);
        }, ct);

    public Task<RetentionPolicy> SetPolicyAsync(RetentionPolicy policy, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var stored = policy with { UpdatedAt = Micros.ToTime(Micros.From(now)) };
            await w.Connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO retention_policies (workspace, closed_conversation_days, updated_at) VALUES (@Workspace, @Days, @UpdatedAt) " +
                "ON CONFLICT (workspace) DO UPDATE SET closed_conversation_days = excluded.closed_conversation_days, updated_at = excluded.updated_at",
                new { policy.Workspace, Days = (long)policy.ClosedConversationDays, UpdatedAt = Micros.From(now) }, w.Transaction, cancellationToken: ct));
            return stored;
        }, ct);

    /// <summary>The policies that erase something, across workspaces.</summary>
    public Task<IReadOnlyList<RetentionPolicy>> ListActivePoliciesAsync(CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<RetentionPolicy>>(async c => (await c.QueryAsync<(string Workspace, long Days, long UpdatedAt)>(new CommandDefinition(
            "SELECT workspace, closed_conversation_days, updated_at FROM retention_policies WHERE closed_conversation_days > 0",
            cancellationToken: ct))).Select(r => new RetentionPolicy(r.Workspace, (int)r.Days, Micros.ToTime(r.UpdatedAt))).ToList(), ct);

    /// <summary>Whether the workspace has a conversation closed before <paramref name="closedBefore"/>.</summary>
    public Task<bool> HasClosedBeforeAsync(string workspace, DateTimeOffset closedBefore, CancellationToken ct) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM conversations WHERE workspace = @Workspace AND status = @Closed AND closed_at < @ClosedBefore)",
            new { Workspace = workspace, Closed = (long)ConversationStatus.Closed, ClosedBefore = Micros.From(closedBefore) }, cancellationToken: ct)), ct);

    /// <summary>What an erased conversation's events keep: its id, agent, channel, status and creation
    /// time; nothing about the contact or what was said.</summary>
    public static Conversation Tombstone(Conversation c) => c with
    {
        ContactId = Guid.Empty,
        AssignedTo = null,
        Subject = "",
        Tags = [],
        ClosedAt = null,
        LastMessageAt = null,
        LastSenderType = null,
        LastSequence = 0,
    };

    private static Task CountAsync(WriteTransaction w, Erasure e, string counter, int rows, CancellationToken ct) =>
        rows == 0 ? Task.CompletedTask : w.Connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE erasures SET {counter} = {counter} + @Rows WHERE workspace = @Workspace AND id = @Id",
            new { e.Workspace, Id = e.Id.ToString(), Rows = (long)rows }, w.Transaction, cancellationToken: ct));

    private sealed class ErasureRow
    {
        public string Workspace { get; set; } = "";
        public string Id { get; set; } = "";
        public long Reason { get; set; }
        public string? ContactId { get; set; }
        public long? ClosedBefore { get; set; }
        public string RequestedBy { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? FinishedAt { get; set; }
        public long State { get; set; }
        public long ConversationsErased { get; set; }
        public long MessagesErased { get; set; }
        public long EventsScrubbed { get; set; }
        public long RecordsErased { get; set; }

        public static ErasureRow From(Erasure e) => new()
        {
            Workspace = e.Workspace,
            Id = e.Id.ToString(),
            Reason = (long)e.Reason,
            ContactId = e.ContactId?.ToString(),
            ClosedBefore = Micros.From(e.ClosedBefore),
            RequestedBy = e.RequestedBy,
            CreatedAt = Micros.From(e.CreatedAt),
            FinishedAt = Micros.From(e.FinishedAt),
            State = (long)e.State,
        };

        public Erasure ToDomain() => new(
            Workspace, Guid.Parse(Id), (ErasureReason)Reason, ContactId is null ? null : Guid.Parse(ContactId), Micros.ToTime(ClosedBefore),
            RequestedBy, Micros.ToTime(CreatedAt), Micros.ToTime(FinishedAt), (ErasureState)State,
            ConversationsErased, MessagesErased, EventsScrubbed, RecordsErased);
    }
}
