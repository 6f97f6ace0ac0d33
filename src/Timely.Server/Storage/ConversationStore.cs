using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Timely.Server.Domain;
using Timely.Server.Feeds;

namespace Timely.Server.Storage;

/// <summary>The Dapper implementation of <see cref="IConversationStore"/>, shared by the dialects.
/// Every change writes its rows and its events in one transaction, then wakes the feeds.</summary>
public sealed class ConversationStore(StoreDialect dialect, IChangeNotifier notifier, TimeProvider clock) : IConversationStore
{
    private const int MaxWriteAttempts = 3;
    private const int SweepBatch = 200;

    public async Task<Conversation> CreateConversationAsync(NewConversation request, IdempotencyKey? key, CancellationToken ct)
    {
        var conversation = await WriteAsync(async (c, tx) =>
        {
            if (await FindRequestAsync(c, tx, request.Workspace, key, ct) is { } prior)
            {
                return (await LoadAsync(c, tx, request.Workspace, Guid.Parse(prior.ConversationId), forUpdate: false, ct))!;
            }
            var created = await InsertConversationAsync(c, tx, request, Now(), ct);
            await RecordRequestAsync(c, tx, request.Workspace, key, created.Id, null, ct);
            return created;
        }, ct);
        notifier.Notify(conversation.Workspace, conversation.Id);
        return conversation;
    }

    public async Task<Conversation?> GetConversationAsync(string workspace, Guid id, CancellationToken ct) =>
        await ReadAsync(c => LoadAsync(c, null, workspace, id, forUpdate: false, ct), ct);

    public async Task<IReadOnlyList<Conversation>> ListConversationsAsync(
        string workspace, ConversationQuery query, ConversationKey? after, int limit, CancellationToken ct)
    {
        var (sql, parameters) = StoreSql.ListConversations(workspace, query, after, limit);
        var rows = await ReadAsync(c => c.QueryAsync<ConversationRow>(new CommandDefinition(sql, parameters, cancellationToken: ct)), ct);
        return rows.Select(r => r.ToDomain()).ToList();
    }

    public async Task<Conversation> UpdateConversationAsync(
        string workspace, Guid id, long? expectedVersion, Func<Conversation, ConversationChange> change, CancellationToken ct)
    {
        var (conversation, changed) = await WriteAsync(async (c, tx) =>
        {
            var current = await LoadAsync(c, tx, workspace, id, forUpdate: true, ct) ?? throw NotFoundException.Conversation(id);
            if (expectedVersion is { } expected && expected != current.Version)
            {
                throw new EtagMismatchException($"etag {expected} is stale: conversation {id} is at etag {current.Etag}; read it again and retry");
            }
            var result = change(current);
            if (result.Events.Count == 0)
            {
                return (current, false);
            }
            var after = result.After with { Version = current.Version + 1 };
            await SaveAsync(c, tx, current, after, ct);
            await AppendEventsAsync(c, tx, after, result.Events, ct);
            return (after, true);
        }, ct);
        if (changed)
        {
            notifier.Notify(workspace, id);
        }
        return conversation;
    }

    public async Task<AppendResult> AppendMessageAsync(
        string workspace, Guid conversationId, NewMessage message, IdempotencyKey? key, CancellationToken ct)
    {
        var result = await WriteAsync(async (c, tx) =>
        {
            if (await FindRequestAsync(c, tx, workspace, key, ct) is { } prior)
            {
                var (priorMessage, conversation) = await LoadResultAsync(c, tx, workspace, prior, ct);
                return new AppendResult(priorMessage, conversation, Duplicate: true);
            }
            var current = await LoadAsync(c, tx, workspace, conversationId, forUpdate: true, ct)
                ?? throw NotFoundException.Conversation(conversationId);
            var (appended, after) = await AppendAsync(c, tx, current, message, ct);
            await RecordRequestAsync(c, tx, workspace, key, after.Id, appended.Id, ct);
            return new AppendResult(appended, after, Duplicate: false);
        }, ct);
        if (!result.Duplicate)
        {
            notifier.Notify(workspace, conversationId);
        }
        return result;
    }

    public async Task<IngestResult> IngestCustomerMessageAsync(InboundMessage inbound, IdempotencyKey? key, CancellationToken ct)
    {
        var workspace = inbound.Workspace;
        var result = await WriteAsync(async (c, tx) =>
        {
            var prior = await FindRequestAsync(c, tx, workspace, key, ct);
            if (prior is null && inbound.ExternalId is { } externalId)
            {
                prior = await c.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
                    StoreSql.FindInbound, new { Workspace = workspace, ChannelId = inbound.ChannelId.ToString(), ExternalId = externalId },
                    tx, cancellationToken: ct));
            }
            if (prior is not null)
            {
                var (priorMessage, conversation) = await LoadResultAsync(c, tx, workspace, prior, ct);
                return new IngestResult(priorMessage, conversation, ConversationCreated: false, Duplicate: true);
            }

            if (dialect.LockContactSql is { } lockContact)
            {
                await c.ExecuteAsync(new CommandDefinition(lockContact,
                    new { Key = $"{workspace}/{inbound.ChannelId}/{inbound.ContactId}" }, tx, cancellationToken: ct));
            }
            var row = await c.QueryFirstOrDefaultAsync<ConversationRow>(new CommandDefinition(
                StoreSql.FindActiveForContact + dialect.ForUpdate,
                new { Workspace = workspace, ChannelId = inbound.ChannelId.ToString(), ContactId = inbound.ContactId.ToString() },
                tx, cancellationToken: ct));

            var created = row is null;
            var current = row?.ToDomain() ?? await InsertConversationAsync(c, tx,
                new NewConversation(workspace, inbound.AgentId, inbound.ChannelId, inbound.ContactId, Limits.AutoSubject(inbound.Message.Content), []),
                Now(), ct);
            var (appended, after) = await AppendAsync(c, tx, current, inbound.Message, ct);
            if (inbound.ExternalId is { } id)
            {
                await c.ExecuteAsync(new CommandDefinition(StoreSql.InsertInbound, new
                {
                    Workspace = workspace,
                    ChannelId = inbound.ChannelId.ToString(),
                    ExternalId = id,
                    MessageId = appended.Id.ToString(),
                    ConversationId = after.Id.ToString(),
                }, tx, cancellationToken: ct));
            }
            await RecordRequestAsync(c, tx, workspace, key, after.Id, appended.Id, ct);
            return new IngestResult(appended, after, created, Duplicate: false);
        }, ct);
        if (!result.Duplicate)
        {
            notifier.Notify(workspace, result.Conversation.Id);
        }
        return result;
    }

    public async Task<IReadOnlyList<Message>> ListMessagesAsync(string workspace, Guid conversationId, long afterSequence, int limit, CancellationToken ct)
    {
        var rows = await ReadAsync(c => c.QueryAsync<MessageRow>(new CommandDefinition(StoreSql.ListMessages,
            new { Workspace = workspace, ConversationId = conversationId.ToString(), AfterSequence = afterSequence, Limit = limit },
            cancellationToken: ct)), ct);
        return rows.Select(r => r.ToDomain()).ToList();
    }

    public Task<EventPage> ListEventsAsync(string workspace, EventFilter filter, long afterId, int limit, CancellationToken ct) =>
        ReadAsync(async c =>
        {
            // One snapshot for the events, the log's head and the retention mark, so that ReadThrough
            // never passes an event this read could not see.
            await using var tx = await dialect.BeginSnapshotAsync(c, ct);
            var (sql, parameters) = StoreSql.ListEvents(workspace, filter, afterId, limit);
            var rows = (await c.QueryAsync<EventRow>(new CommandDefinition(sql, parameters, tx, cancellationToken: ct))).ToList();
            var head = await c.ExecuteScalarAsync<long>(new CommandDefinition(StoreSql.LatestEventId, transaction: tx, cancellationToken: ct));
            var pruned = await c.ExecuteScalarAsync<long>(new CommandDefinition(StoreSql.PrunedThrough, transaction: tx, cancellationToken: ct));
            var messageIds = rows.Where(r => r.MessageId is not null).Select(r => r.MessageId!).ToList();
            var messages = new Dictionary<string, Message>();
            if (messageIds.Count > 0)
            {
                var (messagesSql, messageParameters) = StoreSql.MessagesByIds(messageIds);
                foreach (var m in await c.QueryAsync<MessageRow>(new CommandDefinition(messagesSql, messageParameters, tx, cancellationToken: ct)))
                {
                    messages[m.Id] = m.ToDomain();
                }
            }
            await tx.CommitAsync(ct);

            var events = rows.Select(r => r.ToDomain(r.MessageId is null ? null : messages.GetValueOrDefault(r.MessageId))).ToList();
            var readThrough = rows.Count == limit ? rows[^1].Id : Math.Max(afterId, head);
            return new EventPage(events, readThrough, pruned);
        }, ct);

    public Task<long> GetLatestEventIdAsync(CancellationToken ct) =>
        ReadAsync(c => c.ExecuteScalarAsync<long>(new CommandDefinition(StoreSql.LatestEventId, cancellationToken: ct)), ct);

    public async Task<int> SweepInactiveAsync(DateTimeOffset waitingIfIdleSince, DateTimeOffset closeIfIdleSince, CancellationToken ct)
    {
        // Candidates are read without a lock; each is re-checked under the write lock, so sweepers on
        // several replicas change each conversation once.
        var changed = 0;
        changed += await SweepAsync(StoreSql.WaitingCandidates, Micros.From(waitingIfIdleSince), LifecycleAction.MarkWaiting,
            c => c.Status == ConversationStatus.Open && c.LastSenderType is SenderType.AiAgent or SenderType.HumanAgent
                 && c.LastMessageAt <= waitingIfIdleSince, ct);
        changed += await SweepAsync(StoreSql.ExpiryCandidates, Micros.From(closeIfIdleSince), LifecycleAction.Expire,
            c => c.Status == ConversationStatus.Waiting && (c.LastMessageAt ?? c.CreatedAt) <= closeIfIdleSince, ct);
        return changed;
    }

    public async Task PruneAsync(DateTimeOffset olderThan, CancellationToken ct) =>
        await WriteAsync(async (c, tx) =>
        {
            var before = Micros.From(olderThan);
            var through = await c.ExecuteScalarAsync<long?>(new CommandDefinition(StoreSql.LastEventBefore, new { Before = before }, tx, cancellationToken: ct));
            if (through is { } id)
            {
                await c.ExecuteAsync(new CommandDefinition(StoreSql.PruneEvents, new { Through = id }, tx, cancellationToken: ct));
            }
            await c.ExecuteAsync(new CommandDefinition(StoreSql.PruneRequests, new { Before = before }, tx, cancellationToken: ct));
            return 0;
        }, ct);

    public async Task<byte[]> GetOrCreateSecretAsync(string name, int length, CancellationToken ct) =>
        await WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(new CommandDefinition(StoreSql.InsertSecret,
                new { Name = name, Value = RandomNumberGenerator.GetBytes(length) }, tx, cancellationToken: ct));
            return await c.QuerySingleAsync<byte[]>(new CommandDefinition(StoreSql.GetSecret, new { Name = name }, tx, cancellationToken: ct));
        }, ct);

    public Task PingAsync(CancellationToken ct) =>
        ReadAsync(c => c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: ct)), ct);

    private async Task<int> SweepAsync(string candidatesSql, long idleSince, LifecycleAction action, Func<Conversation, bool> stillEligible, CancellationToken ct)
    {
        var changed = 0;
        while (true)
        {
            var candidates = (await ReadAsync(c => c.QueryAsync<(string Workspace, string Id)>(new CommandDefinition(
                candidatesSql, new { IdleSince = idleSince, Limit = SweepBatch }, cancellationToken: ct)), ct)).ToList();
            foreach (var (workspace, id) in candidates)
            {
                var before = 0L;
                var after = await UpdateConversationAsync(workspace, Guid.Parse(id), null, current =>
                {
                    before = current.Version;
                    return stillEligible(current)
                        ? StatusChange(current, Lifecycle.Apply(current, action, Now()))
                        : new ConversationChange(current, []);
                }, ct);
                changed += after.Version != before ? 1 : 0;
            }
            if (candidates.Count < SweepBatch)
            {
                return changed;
            }
        }
    }

    /// <summary>A change whose only effect is a status transition.</summary>
    public static ConversationChange StatusChange(Conversation before, Conversation after) =>
        new(after, [new PendingEvent(ConversationEventType.StatusChanged, before.Status)]);

    // --- the pieces every write is made of ---

    private async Task<Conversation> InsertConversationAsync(DbConnection c, DbTransaction tx, NewConversation n, DateTimeOffset now, CancellationToken ct)
    {
        var conversation = new Conversation(
            Guid.CreateVersion7(now), n.Workspace, n.AgentId, n.ChannelId, n.ContactId, ConversationStatus.Open,
            AssignedTo: null, n.Subject, n.Tags, now, ClosedAt: null, LastMessageAt: null, LastSenderType: null, LastSequence: 0, Version: 1);
        await c.ExecuteAsync(new CommandDefinition(StoreSql.InsertConversation, ConversationRow.From(conversation), tx, cancellationToken: ct));
        await ReplaceTagsAsync(c, tx, conversation, ct);
        await AppendEventsAsync(c, tx, conversation, [new PendingEvent(ConversationEventType.Created)], ct);
        return conversation;
    }

    /// <summary>Appends a message with the next sequence and applies its lifecycle effect.</summary>
    private async Task<(Message Message, Conversation After)> AppendAsync(
        DbConnection c, DbTransaction tx, Conversation current, NewMessage n, CancellationToken ct)
    {
        var now = Now();
        var senderId = n.SenderId ?? n.SenderType switch
        {
            SenderType.Customer => current.ContactId,
            SenderType.AiAgent => current.AgentId,
            _ => (Guid?)null,
        };
        var transitioned = Lifecycle.Apply(current, Lifecycle.MessageAction(n.SenderType), now, senderId);
        var message = new Message(Guid.CreateVersion7(now), current.Id, current.LastSequence + 1, n.SenderType, senderId,
            n.Content, n.MessageType, n.MediaUrl, n.MediaType, n.Metadata, now);
        await c.ExecuteAsync(new CommandDefinition(StoreSql.InsertMessage, MessageRow.From(current.Workspace, message), tx, cancellationToken: ct));

        var after = transitioned with
        {
            LastSequence = message.Sequence,
            LastMessageAt = now,
            LastSenderType = n.SenderType,
            Version = current.Version + 1,
        };
        await SaveAsync(c, tx, current, after, ct);
        // A status change caused by the message comes first: watchers see who owns the conversation
        // before they see the message that landed in it.
        var events = new List<PendingEvent>();
        if (after.Status != current.Status)
        {
            events.Add(new PendingEvent(ConversationEventType.StatusChanged, current.Status));
        }
        events.Add(new PendingEvent(ConversationEventType.MessageAdded, MessageId: message.Id));
        await AppendEventsAsync(c, tx, after, events, ct);
        return (message, after);
    }

    private async Task SaveAsync(DbConnection c, DbTransaction tx, Conversation before, Conversation after, CancellationToken ct)
    {
        await c.ExecuteAsync(new CommandDefinition(StoreSql.UpdateConversation, ConversationRow.From(after), tx, cancellationToken: ct));
        if (!before.Tags.SequenceEqual(after.Tags))
        {
            await ReplaceTagsAsync(c, tx, after, ct);
        }
    }

    private static async Task ReplaceTagsAsync(DbConnection c, DbTransaction tx, Conversation conversation, CancellationToken ct)
    {
        var id = conversation.Id.ToString();
        await c.ExecuteAsync(new CommandDefinition(StoreSql.DeleteTags, new { ConversationId = id }, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(StoreSql.InsertTag,
            conversation.Tags.Select(t => new { ConversationId = id, conversation.Workspace, Tag = t }), tx, cancellationToken: ct));
    }

    private async Task AppendEventsAsync(DbConnection c, DbTransaction tx, Conversation after, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        if (dialect.LockEventLogSql is { } lockLog)
        {
            await c.ExecuteAsync(new CommandDefinition(lockLog, transaction: tx, cancellationToken: ct));
        }
        var now = Now();
        foreach (var e in events)
        {
            await c.ExecuteAsync(new CommandDefinition(StoreSql.InsertEvent, EventRow.From(after, e, now), tx, cancellationToken: ct));
        }
        if (dialect.NotifySql is { } notify)
        {
            await c.ExecuteAsync(new CommandDefinition(notify, new { Payload = ChangePayload.Format(after.Workspace, after.Id) }, tx, cancellationToken: ct));
        }
    }

    private async Task<Conversation?> LoadAsync(DbConnection c, DbTransaction? tx, string workspace, Guid id, bool forUpdate, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<ConversationRow>(new CommandDefinition(
            StoreSql.GetConversation + (forUpdate ? dialect.ForUpdate : ""), new { Workspace = workspace, Id = id.ToString() }, tx, cancellationToken: ct));
        return row?.ToDomain();
    }

    /// <summary>What an earlier request with the same id wrote, or null. The same id with another request is refused.</summary>
    private static async Task<RequestRow?> FindRequestAsync(DbConnection c, DbTransaction tx, string workspace, IdempotencyKey? key, CancellationToken ct)
    {
        if (key is null)
        {
            return null;
        }
        var prior = await c.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            StoreSql.FindRequest, new { Workspace = workspace, key.RequestId }, tx, cancellationToken: ct));
        if (prior is not null && prior.Fingerprint != key.Fingerprint)
        {
            throw new InvalidArgumentException("request_id", "was already used for a different request; use a new request_id for a new request");
        }
        return prior;
    }

    private async Task RecordRequestAsync(DbConnection c, DbTransaction tx, string workspace, IdempotencyKey? key, Guid conversationId, Guid? messageId, CancellationToken ct)
    {
        if (key is null)
        {
            return;
        }
        await c.ExecuteAsync(new CommandDefinition(StoreSql.InsertRequest, new
        {
            Workspace = workspace,
            key.RequestId,
            key.Fingerprint,
            ConversationId = conversationId.ToString(),
            MessageId = messageId?.ToString(),
            CreatedAt = Micros.From(Now()),
        }, tx, cancellationToken: ct));
    }

    private async Task<(Message Message, Conversation Conversation)> LoadResultAsync(
        DbConnection c, DbTransaction tx, string workspace, RequestRow prior, CancellationToken ct)
    {
        var message = await c.QuerySingleAsync<MessageRow>(new CommandDefinition(
            StoreSql.GetMessage, new { Workspace = workspace, Id = prior.MessageId }, tx, cancellationToken: ct));
        var conversation = await LoadAsync(c, tx, workspace, Guid.Parse(prior.ConversationId), forUpdate: false, ct);
        return (message.ToDomain(), conversation!);
    }

    // --- transactions and failures ---

    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await dialect.WriteAsync(work, ct);
            }
            catch (Exception e) when (dialect.IsUniqueViolation(e) && attempt < MaxWriteAttempts)
            {
                // A concurrent writer on another replica won a race (same request id, same new
                // conversation); the retry reads what it wrote.
            }
            catch (Exception e) when (dialect.IsUnavailable(e))
            {
                throw new StoreUnavailableException("the database is unavailable; retry later", e);
            }
        }
    }

    private async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        try
        {
            await using var connection = await dialect.OpenAsync(ct);
            return await work(connection);
        }
        catch (Exception e) when (dialect.IsUnavailable(e))
        {
            throw new StoreUnavailableException("the database is unavailable; retry later", e);
        }
    }

    /// <summary>Now, at the database's precision (microseconds), so what a write returns equals what a read returns.</summary>
    private DateTimeOffset Now() => Micros.ToTime(Micros.From(clock.GetUtcNow()));

    internal sealed class RequestRow
    {
        public string Fingerprint { get; set; } = "";
        public string ConversationId { get; set; } = "";
        public string? MessageId { get; set; }
    }
}
