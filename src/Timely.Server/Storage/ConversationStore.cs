using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Observability;

namespace Timely.Server.Storage;

/// <summary>The Dapper implementation of <see cref="IConversationStore"/>, shared by the dialects. Every
/// change writes its rows and its events in one transaction of few round trips: one to read (the
/// request id's earlier result and the locked conversation together), one <see cref="StatementBatch"/>
/// to write, the commit. The rules that decide what is written live in Domain/.</summary>
public sealed partial class ConversationStore(
    Database db, TimeProvider clock, TimelyMetrics metrics, IOptions<StorageOptions> options, ILogger<ConversationStore> logger)
    : IConversationStore, IAsyncDisposable
{
    private const string FindRequest =
        "SELECT fingerprint, conversation_id, message_id FROM request_ids WHERE workspace = @Workspace AND request_id = @RequestId";

    private StoreDialect Dialect => db.Dialect;

    public Task<Conversation> CreateConversationAsync(NewConversation request, IdempotencyKey? key, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            if (key is not null && await FindRequestAsync(w, request.Workspace, key, ct) is { } prior)
            {
                return (await LoadAsync(w.Connection, w.Transaction, request.Workspace, Guid.Parse(prior.ConversationId), ct))!;
            }
            var now = Now();
            var batch = new StatementBatch();
            var created = Insert(w, batch, request, now);
            RecordRequest(batch, request.Workspace, key, created.Id, null, now);
            await batch.ExecuteAsync(w, db, ct);
            return created;
        }, ct);

    public Task<Conversation?> GetConversationAsync(string workspace, Guid id, CancellationToken ct) =>
        db.ReadAsync(c => LoadAsync(c, null, workspace, id, ct), ct);

    public async Task<IReadOnlyList<Conversation>> ListConversationsAsync(
        string workspace, ConversationQuery query, ConversationKey? after, int limit, CancellationToken ct)
    {
        var rows = await db.ReadAsync(async c =>
        {
            var few = query.Matching is not null && await FewFilteredMessagesAsync(c, workspace, query, ct);
            var (sql, parameters) = StoreSql.ListConversations(Dialect.Search, workspace, query, after, limit, options.Value.SearchRankedHits, few);
            return await c.QueryAsync<ConversationRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        }, ct);
        return rows.Select(r => r.ToDomain()).ToList();
    }

    public Task<Conversation> UpdateConversationAsync(
        string workspace, Guid id, long? expectedVersion, Func<Conversation, DateTimeOffset, ConversationChange> change, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            using var read = await PositionalReader.ExecuteAsync(w.Connection, new CommandDefinition(string.Join(";\n", LockedLoad()),
                new { Workspace = workspace, Id = id.ToString(), LockKey = ConversationLock(workspace, id) }, w.Transaction, cancellationToken: ct));
            var current = await ReadLockedAsync(read, ct) ?? throw NotFoundException.Conversation(id);
            if (expectedVersion is { } expected && expected != current.Version)
            {
                throw new EtagMismatchException($"etag {expected} is stale: conversation {id} is at etag {current.Etag}; read it again and retry");
            }
            var now = Now();
            var result = change(current, now);
            if (result.Events.Count == 0)
            {
                return current;
            }
            var batch = new StatementBatch();
            var after = Save(w, batch, current, result, now);
            await batch.ExecuteAsync(w, db, ct);
            return after;
        }, ct);

    public async Task<AppendResult> AppendMessageAsync(
        string workspace, Guid conversationId, NewMessage message, IdempotencyKey? key, CancellationToken ct)
    {
        var result = await Appends.AppendAsync(new PendingAppend(workspace, conversationId, message, key, ct))
            ?? throw new InvalidOperationException("an append that is not inbound is always answered");
        Written(result.Message, result.Duplicate);
        return result;
    }

    /// <summary>An append in a transaction of its own.</summary>
    private Task<AppendResult> AppendAloneAsync(
        string workspace, Guid conversationId, NewMessage message, IdempotencyKey? key, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            // One round trip: what an earlier call with this request id wrote, and the conversation, locked.
            using var read = await PositionalReader.ExecuteAsync(w.Connection, new CommandDefinition(
                string.Join(";\n", key is null ? LockedLoad() : [FindRequest, .. LockedLoad()]),
                new { Workspace = workspace, key?.RequestId, Id = conversationId.ToString(), LockKey = ConversationLock(workspace, conversationId) },
                w.Transaction, cancellationToken: ct));
            var prior = key is null ? null : Matching(await read.SingleOrDefaultAsync(RequestRow.Read, ct), key);
            var current = await ReadLockedAsync(read, ct);
            if (prior is not null)
            {
                var (priorMessage, conversation) = await LoadResultAsync(w, workspace, prior, ct);
                return new AppendResult(priorMessage, conversation, Duplicate: true);
            }
            if (current is null)
            {
                throw NotFoundException.Conversation(conversationId);
            }
            var now = Now();
            var batch = new StatementBatch();
            var (appended, after) = Append(w, batch, current, message, now);
            RecordRequest(batch, workspace, key, after.Id, appended.Id, now);
            await batch.ExecuteAsync(w, db, ct);
            return new AppendResult(appended, after, Duplicate: false);
        }, ct);

    /// <summary>Most inbound messages continue the conversation their contact has open on the channel. Where each
    /// write commits alone (PostgreSQL), those found by a read are appended with the batch (<see cref="AppendBatcher"/>),
    /// which writes each only if that conversation is still open and the message new: IngestCustomerMessage over 64
    /// contacts 1.6-2.4x, a third of the database's CPU per message. On SQLite, where writes commit in groups already,
    /// the batch measured 0.80-0.95x (bench/README.md, 2026-12-04 (late evening)). Any other message (a new contact, a
    /// retry, a conversation closed meanwhile) is written in a transaction of its own, under the contact's lock.</summary>
    public async Task<IngestResult> IngestCustomerMessageAsync(InboundMessage inbound, IdempotencyKey? key, CancellationToken ct)
    {
        if (!Dialect.CommitsEachWriteAlone)
        {
            return await IngestAloneAsync(inbound, key, ct);
        }
        var open = await db.ReadAsync(c => c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT id " + OpenConversationOfContact, new
        {
            inbound.Workspace, ChannelId = inbound.ChannelId.ToString(), ContactId = inbound.ContactId.ToString(), Closed = (long)ConversationStatus.Closed,
        }, cancellationToken: ct)), ct);
        if (open is not null && await Appends.AppendAsync(new PendingAppend(inbound.Workspace, Guid.Parse(open), inbound.Message, key, ct,
                new InboundAppend(inbound.ChannelId, inbound.ContactId, inbound.ExternalId))) is { } appended)
        {
            Written(appended.Message, duplicate: false);
            return new IngestResult(appended.Message, appended.Conversation, ConversationCreated: false, Duplicate: false);
        }
        return await IngestAloneAsync(inbound, key, ct);
    }

    /// <summary>The conversation a contact has open on a channel (@Workspace, @ChannelId, @ContactId, @Closed): its
    /// most recently active one that is not closed.</summary>
    private const string OpenConversationOfContact =
        "FROM conversations WHERE workspace = @Workspace AND channel_id = @ChannelId " +
        "AND contact_id = @ContactId AND status <> @Closed ORDER BY activity_at DESC, id DESC LIMIT 1";

    /// <summary>An earlier inbound message with the same channel id (@Workspace, @ChannelId, @ExternalId), as a
    /// <see cref="RequestRow"/>.</summary>
    private const string FindInbound =
        "SELECT '' AS fingerprint, conversation_id, message_id FROM inbound_messages " +
        "WHERE workspace = @Workspace AND channel_id = @ChannelId AND external_id = @ExternalId";

    private async Task<IngestResult> IngestAloneAsync(InboundMessage inbound, IdempotencyKey? key, CancellationToken ct)
    {
        var result = await db.WriteAsync(async w =>
        {
            var workspace = inbound.Workspace;
            // One round trip: earlier results (by request id, by the channel's message id), then, under the
            // contact's lock where the database has locks, the contact's conversation that is not closed.
            var sql = new List<string>();
            if (key is not null)
            {
                sql.Add(FindRequest);
            }
            if (inbound.ExternalId is not null)
            {
                sql.Add(FindInbound);
            }
            if (Dialect.LockSql is { } lockContact)
            {
                sql.Add(lockContact);
            }
            sql.Add($"SELECT {StoreSql.ConversationColumns} {OpenConversationOfContact}");
            using var read = await PositionalReader.ExecuteAsync(w.Connection, new CommandDefinition(string.Join(";\n", sql), new
            {
                Workspace = workspace,
                key?.RequestId,
                ChannelId = inbound.ChannelId.ToString(),
                inbound.ExternalId,
                LockKey = $"contact/{workspace}/{inbound.ChannelId}/{inbound.ContactId}",
                ContactId = inbound.ContactId.ToString(),
                Closed = (long)ConversationStatus.Closed,
            }, w.Transaction, cancellationToken: ct));
            var prior = key is null ? null : Matching(await read.SingleOrDefaultAsync(RequestRow.Read, ct), key);
            var byExternalId = inbound.ExternalId is null ? null : await read.SingleOrDefaultAsync(RequestRow.Read, ct);
            var active = await ReadLockedAsync(read, ct);
            if ((prior ?? byExternalId) is { } earlier)
            {
                var (priorMessage, conversation) = await LoadResultAsync(w, workspace, earlier, ct);
                return new IngestResult(priorMessage, conversation, ConversationCreated: false, Duplicate: true);
            }
            if (active is not null && Dialect.LockSql is not null)
            {
                // Writers of a conversation take its lock before reading it; it may have closed meanwhile.
                using var locked = await PositionalReader.ExecuteAsync(w.Connection, new CommandDefinition(string.Join(";\n", LockedLoad()),
                    new { Workspace = workspace, Id = active.Id.ToString(), LockKey = ConversationLock(workspace, active.Id) },
                    w.Transaction, cancellationToken: ct));
                active = await ReadLockedAsync(locked, ct) is { Status: not ConversationStatus.Closed } stillActive ? stillActive : null;
            }

            var now = Now();
            var batch = new StatementBatch();
            var current = active ?? Insert(w, batch,
                new NewConversation(workspace, inbound.AgentId, inbound.ChannelId, inbound.ContactId, Limits.AutoSubject(inbound.Message.Content), []),
                now);
            var (appended, after) = Append(w, batch, current, inbound.Message, now);
            RecordInbound(batch, workspace, inbound.ChannelId, inbound.ExternalId, after.Id, appended.Id, now);
            RecordRequest(batch, workspace, key, after.Id, appended.Id, now);
            await batch.ExecuteAsync(w, db, ct);
            return new IngestResult(appended, after, ConversationCreated: active is null, Duplicate: false);
        }, ct);
        Written(result.Message, result.Duplicate);
        return result;
    }

    public async Task<IReadOnlyList<MessageHit>> SearchMessagesAsync(
        string workspace, SearchQuery search, ConversationQuery filters, SearchKey? after, int limit, CancellationToken ct)
    {
        var rows = await db.ReadAsync(async c =>
        {
            var few = await FewFilteredMessagesAsync(c, workspace, filters, ct);
            var (sql, parameters) = StoreSql.SearchMessages(Dialect.Search, workspace, search, filters, after, limit, options.Value.SearchRankedHits, few);
            return await c.QueryAsync<SearchHitRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        }, ct);
        return rows.Select(r => r.ToHit()).ToList();
    }

    /// <summary>Whether a search should start from the filtered conversations' messages (<see cref="ISearchSql.FewFilteredMessages"/>).</summary>
    private async Task<bool> FewFilteredMessagesAsync(DbConnection c, string workspace, ConversationQuery filters, CancellationToken ct) =>
        StoreSql.FewFilteredMessages(Dialect.Search, workspace, filters) is { } few
        && await c.ExecuteScalarAsync<bool>(new CommandDefinition(few.Sql, few.Parameters, cancellationToken: ct));

    public async Task<IReadOnlyList<Message>> ListMessagesAsync(
        string workspace, Guid conversationId, long afterSequence, int limit, CancellationToken ct, MessageVisibility? visibility = null,
        long? maxBytes = null)
    {
        if (maxBytes is { } budget)
        {
            return (await ReadMessagesWithinAsync(workspace, conversationId, afterSequence, limit, budget, visibility, ct)).Messages;
        }
        var rows = await db.ReadAsync(c => c.QueryAsync<MessageRow>(new CommandDefinition(
            MessagesAfter(StoreSql.MessageColumns, visibility), MessagesAfterParameters(workspace, conversationId, afterSequence, limit, visibility, null),
            cancellationToken: ct)), ct);
        return rows.Select(r => r.ToDomain()).ToList();
    }

    public async Task<MessagePage> ListMessagePageAsync(
        string workspace, Guid conversationId, long afterSequence, int pageSize, long maxBytes, MessageVisibility? visibility, CancellationToken ct)
    {
        var (messages, cut) = await ReadMessagesWithinAsync(workspace, conversationId, afterSequence, pageSize + 1, maxBytes, visibility, ct);
        return messages.Count > pageSize ? new MessagePage(messages[..pageSize], More: true) : new MessagePage(messages, cut);
    }

    /// <summary>At most <paramref name="limit"/> messages after <paramref name="afterSequence"/> that fit <paramref name="maxBytes"/>;
    /// only those are loaded (<see cref="StoreSql.StartingWithin"/>). Cut is true when the budget left messages out.</summary>
    private async Task<(List<Message> Messages, bool Cut)> ReadMessagesWithinAsync(
        string workspace, Guid conversationId, long afterSequence, int limit, long maxBytes, MessageVisibility? visibility, CancellationToken ct)
    {
        var keys = MessagesAfter($"id, sequence, {StoreSql.MessageBytes("messages")} AS row_bytes", visibility);
        var sized = await db.ReadAsync(c => c.QueryAsync<MessageRow, long, (MessageRow, long)>(new CommandDefinition(
            StoreSql.StartingWithin("messages", StoreSql.MessageColumns, keys, "sequence"),
            MessagesAfterParameters(workspace, conversationId, afterSequence, limit, visibility, maxBytes), cancellationToken: ct),
            (row, bytes) => (row, bytes), splitOn: "row_bytes"), ct);
        var rows = StoreSql.WithinBudget(sized, maxBytes, out var cut);
        return (rows.Select(r => r.ToDomain()).ToList(), cut);
    }

    private static string MessagesAfter(string columns, MessageVisibility? visibility) =>
        $"SELECT {columns} FROM messages WHERE workspace = @Workspace AND conversation_id = @ConversationId " +
        "AND sequence > @AfterSequence" + (visibility is null ? "" : " AND visibility = @Visibility") + " ORDER BY sequence LIMIT @Limit";

    private static object MessagesAfterParameters(
        string workspace, Guid conversationId, long afterSequence, int limit, MessageVisibility? visibility, long? maxBytes) => new
        {
            Workspace = workspace, ConversationId = conversationId.ToString(), AfterSequence = afterSequence, Limit = limit,
            Visibility = (long?)visibility, MaxBytes = maxBytes,
        };

    public Task<bool> HasRequestAsync(string workspace, string requestId, CancellationToken ct) =>
        db.ReadAsync(async c => await c.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            FindRequest, new { Workspace = workspace, RequestId = requestId }, cancellationToken: ct)) is not null, ct);

    public async Task<IReadOnlyList<ConversationRef>> ListIdleAsync(
        ConversationStatus status, IReadOnlyList<SenderType> lastSenders, DateTimeOffset idleSince, int limit, CancellationToken ct)
    {
        var p = new DynamicParameters(new { Status = (long)status, IdleSince = Micros.From(idleSince), Limit = limit });
        var senders = lastSenders.Count == 0 ? "" : " AND last_sender_type IN " + StoreSql.List(p, "Sender", lastSenders.Select(s => (long)s).ToList());
        var rows = await db.ReadAsync(c => c.QueryAsync<(string Workspace, string Id)>(new CommandDefinition(
            $"SELECT workspace, id FROM conversations WHERE status = @Status AND activity_at <= @IdleSince{senders} LIMIT @Limit",
            p, cancellationToken: ct)), ct);
        return rows.Select(r => new ConversationRef(r.Workspace, Guid.Parse(r.Id))).ToList();
    }

    /// <summary>Conversations by status, across workspaces (the gauges' periodic count).</summary>
    public async Task<IReadOnlyDictionary<ConversationStatus, long>> CountByStatusAsync(CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<(long Status, long Count)>(new CommandDefinition(
            "SELECT status, COUNT(*) FROM conversations GROUP BY status", cancellationToken: ct)), ct);
        return rows.ToDictionary(r => (ConversationStatus)r.Status, r => r.Count);
    }

    /// <summary>Counted once committed, and not again for a retry that returned the first result.</summary>
    private void Written(Message message, bool duplicate)
    {
        if (!duplicate)
        {
            metrics.MessageWritten(message.SenderType);
        }
    }

    // --- the pieces every write is made of ---

    /// <summary>A new open conversation, with its tags and its Created event.</summary>
    private static Conversation Insert(WriteTransaction w, StatementBatch batch, NewConversation n, DateTimeOffset now)
    {
        var conversation = new Conversation(
            Guid.CreateVersion7(now), n.Workspace, n.AgentId, n.ChannelId, n.ContactId, ConversationStatus.Open,
            AssignedTo: null, n.Subject, n.Tags, now, ClosedAt: null, LastMessageAt: null, LastSenderType: null, LastSequence: 0, Version: 1);
        batch.Add($"INSERT INTO conversations ({StoreSql.ConversationColumns}) VALUES (@Id, @Workspace, @AgentId, @ChannelId, @ContactId, " +
                  "@Status, @AssignedTo, @Subject, @Tags, @CreatedAt, @ClosedAt, @LastMessageAt, @ActivityAt, @LastSenderType, @LastSequence, @Version, " +
                  "@HandoffReason, @HandoffPriority, @HandoffSummary, @HandoffAt, @ReadHorizons)",
            ConversationRow.From(conversation));
        InsertTags(batch, conversation);
        AppendEvents(w, batch, conversation, [new PendingEvent(ConversationEventType.Created)], now);
        return conversation;
    }

    /// <summary>A message with the next sequence, and its effect on the conversation (Lifecycle.Append). Without
    /// <paramref name="saveRow"/> the conversation's row is left for the caller to save (<see cref="SaveRow"/>).</summary>
    private static (Message Message, Conversation After) Append(
        WriteTransaction w, StatementBatch batch, Conversation current, NewMessage n, DateTimeOffset now, bool saveRow = true)
    {
        var (message, change) = Lifecycle.Append(current, n, now);
        batch.Add($"INSERT INTO messages ({StoreSql.MessageColumns}) VALUES (@Id, @ConversationId, @Workspace, @Sequence, @SenderType, " +
                  "@SenderId, @Content, @MessageType, @MediaUrl, @MediaType, @Metadata, @CreatedAt, @Visibility, @DeliveryStatus, @SentAt, @DeliveredAt, @ReadAt, " +
                  "@FailedAt, @DeliveryError, @ExternalId, @Revision, @EditedAt, @RedactedAt, @RedactedBy)",
            MessageRow.From(current.Workspace, message));
        return (message, Save(w, batch, current, change, now, saveRow));
    }

    /// <summary>The conversation after a change (its version one higher), its tags if they changed, and the change's events.</summary>
    internal static Conversation Save(
        WriteTransaction w, StatementBatch batch, Conversation before, ConversationChange change, DateTimeOffset now, bool saveRow = true)
    {
        var after = change.After with { Version = before.Version + 1 };
        if (saveRow)
        {
            SaveRow(batch, before, after);
        }
        if (!before.Tags.SequenceEqual(after.Tags))
        {
            batch.Add("DELETE FROM conversation_tags WHERE workspace = @Workspace AND conversation_id = @ConversationId",
                new { after.Workspace, ConversationId = after.Id.ToString() });
            InsertTags(batch, after);
        }
        AppendEvents(w, batch, after, change.Events, now);
        return after;
    }

    /// <summary>The conversation's row as <paramref name="after"/> has it. SQLite rewrites the entry of every index
    /// holding a column an UPDATE sets, changed or not, so a message's usual change (its sequence, its time, its sender,
    /// the version) sets only those columns: it moves the entries of the indexes ordered by activity, not those by
    /// status and closing time or by channel and contact, and an internal note (its sequence alone) moves none.</summary>
    internal static void SaveRow(StatementBatch batch, Conversation before, Conversation after)
    {
        if (before with { LastSequence = after.LastSequence, Version = after.Version } == after)
        {
            batch.Add("UPDATE conversations SET last_sequence = @LastSequence, version = @Version WHERE workspace = @Workspace AND id = @Id",
                new { after.Workspace, Id = after.Id.ToString(), after.LastSequence, after.Version });
        }
        else if (before with
                 {
                     LastMessageAt = after.LastMessageAt, LastSenderType = after.LastSenderType, LastSequence = after.LastSequence, Version = after.Version,
                 } == after)
        {
            batch.Add("UPDATE conversations SET last_message_at = @LastMessageAt, activity_at = @ActivityAt, last_sender_type = @LastSenderType, " +
                      "last_sequence = @LastSequence, version = @Version WHERE workspace = @Workspace AND id = @Id",
                ConversationActivityRow.From(after));
        }
        else
        {
            // The id is unique across workspaces; the row was loaded in this transaction by workspace and id.
            batch.Add("UPDATE conversations SET status = @Status, assigned_to = @AssignedTo, subject = @Subject, tags = @Tags, " +
                      "closed_at = @ClosedAt, last_message_at = @LastMessageAt, activity_at = @ActivityAt, last_sender_type = @LastSenderType, " +
                      "last_sequence = @LastSequence, version = @Version, handoff_reason = @HandoffReason, handoff_priority = @HandoffPriority, " +
                      "handoff_summary = @HandoffSummary, handoff_at = @HandoffAt WHERE workspace = @Workspace AND id = @Id",
                ConversationRow.From(after));
        }
    }

    private static void InsertTags(StatementBatch batch, Conversation conversation)
    {
        foreach (var tag in conversation.Tags)
        {
            batch.Add("INSERT INTO conversation_tags (conversation_id, workspace, tag) VALUES (@ConversationId, @Workspace, @Tag)",
                new { ConversationId = conversation.Id.ToString(), conversation.Workspace, Tag = tag });
        }
    }

    /// <summary>The events of a change, in the same transaction; the conversation's subscribers wake after the commit.</summary>
    internal static void AppendEvents(WriteTransaction w, StatementBatch batch, Conversation after, IReadOnlyList<PendingEvent> events, DateTimeOffset now)
    {
        foreach (var e in events)
        {
            batch.Add("INSERT INTO events (workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation, details) " +
                      "VALUES (@Workspace, @ConversationId, @AgentId, @ChannelId, @Type, @OccurredAt, @Status, @OldStatus, @MessageId, @Conversation, @Details)",
                EventRow.From(after, e, now));
        }
        w.Changed(after.Workspace, after.Id);
    }

    private static async Task<Conversation?> LoadAsync(DbConnection c, DbTransaction? tx, string workspace, Guid id, CancellationToken ct)
    {
        using var read = await PositionalReader.ExecuteAsync(c, new CommandDefinition(
            StoreSql.GetConversation, new { Workspace = workspace, Id = id.ToString() }, tx, cancellationToken: ct));
        return (await read.SingleOrDefaultAsync(ConversationRow.Read, ct))?.ToDomain();
    }

    /// <summary>The statements that load a conversation about to change (@Workspace, @Id): first its lock
    /// (@LockKey, see <see cref="ConversationLock"/>) where the database has locks.</summary>
    private string[] LockedLoad() => Dialect.LockSql is { } lockSql ? [lockSql, StoreSql.GetConversation] : [StoreSql.GetConversation];

    /// <summary>Reads what <see cref="LockedLoad"/> returned (the lock's result is only skipped).</summary>
    private async Task<Conversation?> ReadLockedAsync(PositionalReader read, CancellationToken ct)
    {
        if (Dialect.LockSql is not null)
        {
            await read.SkipAsync(ct);
        }
        return (await read.SingleOrDefaultAsync(ConversationRow.Read, ct))?.ToDomain();
    }

    /// <summary>The name of the lock every writer of a conversation takes before reading it.</summary>
    internal static string ConversationLock(string workspace, Guid id) => $"conversation/{workspace}/{id}";

    /// <summary>What an earlier request with the same id wrote, or null.</summary>
    private static async Task<RequestRow?> FindRequestAsync(WriteTransaction w, string workspace, IdempotencyKey key, CancellationToken ct) =>
        Matching(await w.Connection.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            FindRequest, new { Workspace = workspace, key.RequestId }, w.Transaction, cancellationToken: ct)), key);

    /// <summary>The earlier result of a request id, refused when it came with another request.</summary>
    private static RequestRow? Matching(RequestRow? prior, IdempotencyKey key) =>
        prior is not null && prior.Fingerprint != key.Fingerprint
            ? throw new InvalidArgumentException("request_id", "was already used for a different request; use a new request_id for a new request")
            : prior;

    /// <summary>The dedupe record of an inbound message with the channel's id for it.</summary>
    private static void RecordInbound(StatementBatch batch, string workspace, Guid channelId, string? externalId, Guid conversationId, Guid messageId, DateTimeOffset now)
    {
        if (externalId is not null)
        {
            batch.Add("INSERT INTO inbound_messages (workspace, channel_id, external_id, message_id, conversation_id, created_at) " +
                      "VALUES (@Workspace, @ChannelId, @ExternalId, @MessageId, @ConversationId, @CreatedAt)", new
            {
                Workspace = workspace,
                ChannelId = channelId.ToString(),
                ExternalId = externalId,
                MessageId = messageId.ToString(),
                ConversationId = conversationId.ToString(),
                CreatedAt = Micros.From(now),
            });
        }
    }

    private static void RecordRequest(StatementBatch batch, string workspace, IdempotencyKey? key, Guid conversationId, Guid? messageId, DateTimeOffset now)
    {
        if (key is not null)
        {
            batch.Add("INSERT INTO request_ids (workspace, request_id, fingerprint, conversation_id, message_id, created_at) " +
                      "VALUES (@Workspace, @RequestId, @Fingerprint, @ConversationId, @MessageId, @CreatedAt)", new
            {
                Workspace = workspace,
                key.RequestId,
                key.Fingerprint,
                ConversationId = conversationId.ToString(),
                MessageId = messageId?.ToString(),
                CreatedAt = Micros.From(now),
            });
        }
    }

    private async Task<(Message Message, Conversation Conversation)> LoadResultAsync(WriteTransaction w, string workspace, RequestRow prior, CancellationToken ct)
    {
        var message = await w.Connection.QuerySingleAsync<MessageRow>(new CommandDefinition(
            $"SELECT {StoreSql.MessageColumns} FROM messages WHERE workspace = @Workspace AND id = @Id",
            new { Workspace = workspace, Id = prior.MessageId }, w.Transaction, cancellationToken: ct));
        var conversation = await LoadAsync(w.Connection, w.Transaction, workspace, Guid.Parse(prior.ConversationId), ct);
        return (message.ToDomain(), conversation!);
    }

    /// <summary>Now, at the database's precision (microseconds), so what a write returns equals what a read returns.</summary>
    private DateTimeOffset Now() => Micros.ToTime(Micros.From(clock.GetUtcNow()));

    /// <summary>A request id's record (<see cref="FindRequest"/>'s columns, in order).</summary>
    internal sealed class RequestRow
    {
        public string Fingerprint { get; set; } = "";
        public string ConversationId { get; set; } = "";
        public string? MessageId { get; set; }

        public static RequestRow Read(DbDataReader r) => new()
        {
            Fingerprint = r.GetString(0),
            ConversationId = r.GetString(1),
            MessageId = r.IsDBNull(2) ? null : r.GetString(2),
        };
    }
}
