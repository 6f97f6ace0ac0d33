using Dapper;
using Timely.Server.Domain;

namespace Timely.Server.Storage;

/// <summary>Issue 21's writes and reads: delivery reports, read horizons, edits, redactions, revisions.
/// Every write takes the conversation's lock (as every writer of a conversation does, see
/// <see cref="ConversationStore"/>), reads the message, applies the rule from Domain/Receipts.cs and
/// writes its rows and its event in one transaction. None of them changes the conversation's etag,
/// except a redaction that erases the subject it gave the conversation.</summary>
public sealed class ReceiptStore(Database db, TimeProvider clock)
{
    private const string MessageById =
        $"SELECT {StoreSql.MessageColumns} FROM messages WHERE workspace = @Workspace AND conversation_id = @ConversationId AND id = @MessageId";

    private const string MessageByExternalId =
        $"SELECT {StoreSql.MessageColumns} FROM messages WHERE workspace = @Workspace AND conversation_id = @ConversationId AND external_id = @ExternalId";

    /// <summary>Applies a channel's report. Returns the message and whether its status moved.</summary>
    public async Task<(Message Message, bool Changed)> ReportDeliveryAsync(
        string workspace, Guid conversationId, Guid? messageId, string? externalId, DeliveryStatus status, string error,
        DateTimeOffset? occurredAt, CancellationToken ct)
    {
        return await db.WriteAsync(async w =>
        {
            var p = new { Workspace = workspace, ConversationId = conversationId.ToString(), MessageId = messageId?.ToString(), ExternalId = externalId };
            var (conversation, message) = await LockAsync(w, workspace, conversationId, messageId is null ? null : MessageById, p, ct);
            var byExternal = externalId is null ? null : (await w.Connection.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition(
                MessageByExternalId, p, w.Transaction, cancellationToken: ct)))?.ToDomain();
            if (message is null && byExternal is null)
            {
                throw messageId is null
                    ? new NotFoundException($"no message of conversation {conversationId} has external_id \"{externalId}\"")
                    : MessageNotFound(conversationId, messageId.Value);
            }
            if (message is not null && byExternal is not null && byExternal.Id != message.Id)
            {
                throw new InvalidArgumentException("external_id", $"already names message {byExternal.Id} of this conversation, not {message.Id}");
            }
            message ??= byExternal!;
            if (!Receipts.IsOutbound(message.SenderType))
            {
                throw new TransitionRefusedException("MESSAGE_NOT_OUTBOUND", conversation.Status,
                    $"message {message.Id} was not written by an agent: only AI-agent and human-agent messages have delivery statuses");
            }
            var now = Now();
            var current = message.Delivery ?? MessageDelivery.Nothing;
            var recorded = current.ExternalId is null && externalId is not null ? current with { ExternalId = externalId } : current;
            var reported = Receipts.Report(recorded, status, error, occurredAt ?? now);
            if (reported is null && recorded == current)
            {
                return (message, false);
            }
            var after = message with { Delivery = reported ?? recorded };
            var batch = new StatementBatch();
            batch.Add("UPDATE messages SET delivery_status = @DeliveryStatus, sent_at = @SentAt, delivered_at = @DeliveredAt, read_at = @ReadAt, " +
                      "failed_at = @FailedAt, delivery_error = @DeliveryError, external_id = @ExternalId WHERE workspace = @Workspace AND id = @Id",
                MessageRow.From(workspace, after));
            if (reported is not null)
            {
                ConversationStore.AppendEvents(w, batch, conversation,
                    [new PendingEvent(ConversationEventType.MessageStatusChanged, MessageId: message.Id, Details: new EventDetails(Status: status))], now);
            }
            await batch.ExecuteAsync(w, db, ct);
            return (after, reported is not null);
        }, ct);
    }

    /// <summary>Moves a participant's read horizon to <paramref name="upTo"/> if that is forward. Returns the
    /// conversation and whether the horizon moved.</summary>
    public Task<(Conversation Conversation, bool Changed)> MarkReadAsync(
        string workspace, Guid conversationId, ReadParticipant participant, Guid? humanAgent, long upTo, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var (conversation, _) = await LockAsync(w, workspace, conversationId, null, null, ct);
            if (upTo > conversation.LastSequence)
            {
                throw new InvalidArgumentException("up_to_sequence",
                    $"{upTo} is past the conversation's last sequence {conversation.LastSequence}");
            }
            var participantId = Receipts.ParticipantId(conversation, participant, humanAgent);
            var key = new { ConversationId = conversationId.ToString(), Type = (long)participant, ParticipantId = participantId.ToString() };
            var read = await w.Connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
                "SELECT read_sequence FROM read_horizons WHERE workspace = @Workspace AND conversation_id = @ConversationId " +
                "AND participant_type = @Type AND participant_id = @ParticipantId",
                new { key.ConversationId, key.Type, key.ParticipantId, Workspace = workspace }, w.Transaction, cancellationToken: ct)) ?? 0;
            if (upTo <= read)
            {
                return (conversation, false);
            }
            var now = Now();
            var horizon = new ReadHorizon(participant, participantId, upTo, now);
            var after = conversation with { ReadHorizons = Receipts.Listed(conversation.Horizons, horizon) };
            var batch = new StatementBatch();
            batch.Add("INSERT INTO read_horizons (conversation_id, participant_type, participant_id, workspace, read_sequence, read_at) " +
                      "VALUES (@ConversationId, @Type, @ParticipantId, @Workspace, @Sequence, @At) ON CONFLICT (conversation_id, participant_type, participant_id) " +
                      "DO UPDATE SET read_sequence = excluded.read_sequence, read_at = excluded.read_at",
                new { key.ConversationId, key.Type, key.ParticipantId, Workspace = workspace, Sequence = upTo, At = Micros.From(now) });
            batch.Add("UPDATE conversations SET read_horizons = @ReadHorizons WHERE workspace = @Workspace AND id = @Id", ConversationRow.From(after));
            ConversationStore.AppendEvents(w, batch, after,
                [new PendingEvent(ConversationEventType.ReadHorizonChanged, Details: new EventDetails(Horizon: horizon))], now);
            await batch.ExecuteAsync(w, db, ct);
            return (after, true);
        }, ct);

    /// <summary>Writes a new revision of a message (the first edit also keeps the original as revision 1).
    /// The same content again changes nothing.</summary>
    public Task<Message> EditAsync(
        string workspace, Guid conversationId, Guid messageId, string content, long? expectedRevision, SenderType editor, Guid? editorId,
        CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var p = new { Workspace = workspace, ConversationId = conversationId.ToString(), MessageId = messageId.ToString() };
            var (conversation, message) = await LockAsync(w, workspace, conversationId, MessageById, p, ct);
            if (message is null)
            {
                throw MessageNotFound(conversationId, messageId);
            }
            var by = editor == SenderType.AiAgent ? editorId ?? conversation.AgentId : editorId!.Value;
            Receipts.CheckEdit(conversation, message, editor, by, expectedRevision);
            if (message.MessageType == MessageType.Text && string.IsNullOrWhiteSpace(content))
            {
                throw new InvalidArgumentException("content", "is required for a text message");
            }
            if (content == message.Content)
            {
                return message;
            }
            var now = Now();
            var after = message with { Content = content, Revision = message.Revision + 1, EditedAt = now };
            var batch = new StatementBatch();
            const string insertRevision =
                "INSERT INTO message_revisions (message_id, revision, workspace, conversation_id, content, editor_type, editor_id, created_at) " +
                "VALUES (@MessageId, @Revision, @Workspace, @ConversationId, @Content, @EditorType, @EditorId, @CreatedAt)";
            if (message.Revision == 1)
            {
                batch.Add(insertRevision, RevisionRow.From(workspace, message,
                    new MessageRevision(1, message.Content, message.SenderType, message.SenderId, message.CreatedAt)));
            }
            batch.Add(insertRevision, RevisionRow.From(workspace, message, new MessageRevision(after.Revision, content, editor, by, now)));
            batch.Add("UPDATE messages SET content = @Content, revision = @Revision, edited_at = @EditedAt WHERE workspace = @Workspace AND id = @Id",
                MessageRow.From(workspace, after));
            ConversationStore.AppendEvents(w, batch, conversation,
                [new PendingEvent(ConversationEventType.MessageEdited, MessageId: message.Id, Details: new EventDetails(Revision: after.Revision))], now);
            await batch.ExecuteAsync(w, db, ct);
            return after;
        }, ct);

    /// <summary>Erases a message's content, media and metadata, from the message, every revision and the
    /// event log's payloads (<see cref="EventLog.ScrubMessage"/>), and leaves a tombstone. A redacted message
    /// stays as it is.</summary>
    public Task<Message> RedactAsync(string workspace, Guid conversationId, Guid messageId, Redactor by, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            var p = new { Workspace = workspace, ConversationId = conversationId.ToString(), MessageId = messageId.ToString() };
            var (conversation, message) = await LockAsync(w, workspace, conversationId, MessageById, p, ct);
            if (message is null)
            {
                throw MessageNotFound(conversationId, messageId);
            }
            Receipts.CheckRedact(message, by);
            if (message.RedactedAt is not null)
            {
                return message;
            }
            var now = Now();
            var after = message with
            {
                Content = "", MediaUrl = "", MediaType = "", Metadata = new Dictionary<string, string>(), RedactedAt = now, RedactedBy = by.KeyId,
            };
            var batch = new StatementBatch();
            batch.Add("UPDATE messages SET content = @Content, media_url = @MediaUrl, media_type = @MediaType, metadata = @Metadata, " +
                      "redacted_at = @RedactedAt, redacted_by = @RedactedBy WHERE workspace = @Workspace AND id = @Id",
                MessageRow.From(workspace, after));
            batch.Add("UPDATE message_revisions SET content = '' WHERE workspace = @Workspace AND message_id = @MessageId",
                new { Workspace = workspace, MessageId = messageId.ToString() });
            var redacted = new PendingEvent(ConversationEventType.MessageRedacted, MessageId: message.Id);
            var subject = Receipts.SubjectFrom(message);
            if (subject is not null && conversation.Subject == subject)
            {
                // The automatic subject is the message's first line: it goes too (a change of the conversation, so a new etag).
                ConversationStore.Save(w, batch, conversation, new ConversationChange(conversation with { Subject = "" }, [redacted]), now);
            }
            else
            {
                ConversationStore.AppendEvents(w, batch, conversation, [redacted], now);
            }
            EventLog.ScrubMessage(db.Dialect, batch, workspace, conversationId, messageId, subject);
            await batch.ExecuteAsync(w, db, ct);
            return after;
        }, ct);

    public Task<Message?> GetMessageAsync(string workspace, Guid conversationId, Guid messageId, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition(MessageById,
            new { Workspace = workspace, ConversationId = conversationId.ToString(), MessageId = messageId.ToString() }, cancellationToken: ct)))?.ToDomain(), ct);

    /// <summary>Every revision of a message, oldest first (the message itself when never edited); null
    /// when there is no such message.</summary>
    public Task<IReadOnlyList<MessageRevision>?> ListRevisionsAsync(string workspace, Guid conversationId, Guid messageId, CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            var p = new { Workspace = workspace, ConversationId = conversationId.ToString(), MessageId = messageId.ToString() };
            await using var tx = await db.Dialect.BeginSnapshotAsync(c, ct);
            var message = (await c.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition(MessageById, p, tx, cancellationToken: ct)))?.ToDomain();
            if (message is null)
            {
                return null;
            }
            var rows = (await c.QueryAsync<RevisionRow>(new CommandDefinition(
                "SELECT message_id, revision, workspace, conversation_id, content, editor_type, editor_id, created_at FROM message_revisions " +
                "WHERE workspace = @Workspace AND message_id = @MessageId ORDER BY revision", p, tx, cancellationToken: ct))).ToList();
            await tx.CommitAsync(ct);
            IReadOnlyList<MessageRevision> revisions = rows.Count > 0
                ? rows.Select(r => r.ToDomain()).ToList()
                : [new MessageRevision(1, message.Content, message.SenderType, message.SenderId, message.CreatedAt)];
            return revisions;
        }, ct);

    /// <summary>Takes the conversation's lock, then reads it and (with <paramref name="messageSql"/>) the message.</summary>
    private async Task<(Conversation Conversation, Message? Message)> LockAsync(
        WriteTransaction w, string workspace, Guid conversationId, string? messageSql, object? messageArgs, CancellationToken ct)
    {
        var sql = new List<string>();
        if (db.Dialect.LockSql is { } lockSql)
        {
            sql.Add(lockSql);
        }
        sql.Add(StoreSql.GetConversation);
        var p = new DynamicParameters(new { Workspace = workspace, Id = conversationId.ToString(), LockKey = ConversationStore.ConversationLock(workspace, conversationId) });
        if (messageSql is not null)
        {
            sql.Add(messageSql);
            p.AddDynamicParams(messageArgs);
        }
        using var read = await w.Connection.QueryMultipleAsync(new CommandDefinition(string.Join(";\n", sql), p, w.Transaction, cancellationToken: ct));
        if (db.Dialect.LockSql is not null)
        {
            await read.ReadAsync<long>();
        }
        var conversation = (await read.ReadSingleOrDefaultAsync<ConversationRow>())?.ToDomain() ?? throw NotFoundException.Conversation(conversationId);
        var message = messageSql is null ? null : (await read.ReadSingleOrDefaultAsync<MessageRow>())?.ToDomain();
        return (conversation, message);
    }

    private static NotFoundException MessageNotFound(Guid conversationId, Guid messageId) =>
        new($"message {messageId} not found in conversation {conversationId}");

    /// <summary>Now, at the database's precision (microseconds).</summary>
    private DateTimeOffset Now() => Micros.ToTime(Micros.From(clock.GetUtcNow()));

    private sealed class RevisionRow
    {
        public string MessageId { get; set; } = "";
        public long Revision { get; set; }
        public string Workspace { get; set; } = "";
        public string ConversationId { get; set; } = "";
        public string Content { get; set; } = "";
        public long EditorType { get; set; }
        public string? EditorId { get; set; }
        public long CreatedAt { get; set; }

        public static RevisionRow From(string workspace, Message m, MessageRevision r) => new()
        {
            MessageId = m.Id.ToString(),
            Revision = r.Revision,
            Workspace = workspace,
            ConversationId = m.ConversationId.ToString(),
            Content = r.Content,
            EditorType = (long)r.EditorType,
            EditorId = r.EditorId?.ToString(),
            CreatedAt = Micros.From(r.CreatedAt),
        };

        public MessageRevision ToDomain() =>
            new(Revision, Content, (SenderType)EditorType, EditorId is null ? null : Guid.Parse(EditorId), Micros.ToTime(CreatedAt));
    }
}
