using Timely.Server.Domain;

namespace Timely.Server.Storage;

/// <summary>The one repository contract the service talks to; SQLite and PostgreSQL implement it.
/// Every method is scoped to a workspace: no query reads or writes another workspace's rows.</summary>
public interface IConversationStore
{
    /// <summary>Creates an open conversation, or returns the one an earlier call with the same request id created.</summary>
    Task<Conversation> CreateConversationAsync(NewConversation conversation, IdempotencyKey? request, CancellationToken ct);

    Task<Conversation?> GetConversationAsync(string workspace, Guid id, CancellationToken ct);

    /// <summary>One page of conversations after <paramref name="after"/> in the query's order.</summary>
    Task<IReadOnlyList<Conversation>> ListConversationsAsync(string workspace, ConversationQuery query, ConversationKey? after, int limit, CancellationToken ct);

    /// <summary>Applies <paramref name="change"/> to the current state under a write lock and records its events.
    /// A non-null <paramref name="expectedVersion"/> that differs from the stored one fails with <see cref="EtagMismatchException"/>.</summary>
    Task<Conversation> UpdateConversationAsync(string workspace, Guid id, long? expectedVersion, Func<Conversation, ConversationChange> change, CancellationToken ct);

    /// <summary>Appends a message (next sequence, lifecycle effects, events), or returns what an earlier call with the same request id appended.</summary>
    Task<AppendResult> AppendMessageAsync(string workspace, Guid conversationId, NewMessage message, IdempotencyKey? request, CancellationToken ct);

    /// <summary>The inbound path: appends a customer message to the contact's conversation on the channel that is not closed, or creates one.</summary>
    Task<IngestResult> IngestCustomerMessageAsync(InboundMessage message, IdempotencyKey? request, CancellationToken ct);

    Task<IReadOnlyList<Message>> ListMessagesAsync(string workspace, Guid conversationId, long afterSequence, int limit, CancellationToken ct);

    /// <summary>Events after <paramref name="afterId"/> that match the filter, and how far the log was read.</summary>
    Task<EventPage> ListEventsAsync(string workspace, EventFilter filter, long afterId, int limit, CancellationToken ct);

    /// <summary>The newest event id (0 when the log is empty).</summary>
    Task<long> GetLatestEventIdAsync(CancellationToken ct);

    /// <summary>Moves conversations idle past the limits to waiting or closed, through the lifecycle table. Returns how many changed.</summary>
    Task<int> SweepInactiveAsync(DateTimeOffset waitingIfIdleSince, DateTimeOffset closeIfIdleSince, CancellationToken ct);

    /// <summary>Deletes events and request ids older than <paramref name="olderThan"/>.</summary>
    Task PruneAsync(DateTimeOffset olderThan, CancellationToken ct);

    /// <summary>A secret shared by every replica, created on first use.</summary>
    Task<byte[]> GetOrCreateSecretAsync(string name, int length, CancellationToken ct);

    /// <summary>Throws when the database cannot be reached.</summary>
    Task PingAsync(CancellationToken ct);
}

public sealed record NewConversation(string Workspace, Guid AgentId, Guid ChannelId, Guid ContactId, string Subject, IReadOnlyList<string> Tags);

public sealed record NewMessage(
    SenderType SenderType,
    Guid? SenderId,
    string Content,
    MessageType MessageType,
    string MediaUrl,
    string MediaType,
    IReadOnlyDictionary<string, string> Metadata);

public sealed record InboundMessage(string Workspace, Guid ChannelId, Guid ContactId, Guid AgentId, string? ExternalId, NewMessage Message);

/// <summary>An AIP-155 request id and a fingerprint of the request it came with.</summary>
public sealed record IdempotencyKey(string RequestId, string Fingerprint);

/// <summary>The new state of a conversation and the events that explain it.</summary>
public sealed record ConversationChange(Conversation After, IReadOnlyList<PendingEvent> Events);

/// <summary>An event to append, with the conversation as it is after the change.</summary>
public sealed record PendingEvent(ConversationEventType Type, ConversationStatus? OldStatus = null, Guid? MessageId = null);

public sealed record AppendResult(Message Message, Conversation Conversation, bool Duplicate);

public sealed record IngestResult(Message Message, Conversation Conversation, bool ConversationCreated, bool Duplicate);

public enum ConversationOrder
{
    LastMessageAtDesc,
    CreatedAtDesc,
}

public sealed record ConversationQuery(
    IReadOnlyList<ConversationStatus> Statuses,
    Guid? AgentId,
    Guid? ChannelId,
    Guid? ContactId,
    Guid? AssignedTo,
    string? Tag,
    DateTimeOffset? CreatedAfter,
    DateTimeOffset? CreatedBefore,
    DateTimeOffset? LastMessageAfter,
    DateTimeOffset? LastMessageBefore,
    ConversationOrder Order);

/// <summary>The keyset position of a conversation in a list: its sort value and id.</summary>
public sealed record ConversationKey(long SortValue, Guid Id)
{
    public static ConversationKey Of(Conversation c, ConversationOrder order) =>
        new(Micros.From(order == ConversationOrder.CreatedAtDesc ? c.CreatedAt : c.LastMessageAt ?? c.CreatedAt), c.Id);
}

public sealed record EventFilter(Guid? AgentId, Guid? ChannelId, Guid? ConversationId, IReadOnlyList<ConversationStatus> Statuses)
{
    /// <summary>Equal when they match the same events (the order of the statuses does not matter), so
    /// that watchers with the same filter share their reads.</summary>
    public bool Equals(EventFilter? other) =>
        other is not null && AgentId == other.AgentId && ChannelId == other.ChannelId && ConversationId == other.ConversationId
        && Statuses.Order().SequenceEqual(other.Statuses.Order());

    public override int GetHashCode() => HashCode.Combine(AgentId, ChannelId, ConversationId, Statuses.Count);
}

/// <summary>Matching events, plus the id up to which the log was read (the position to continue from)
/// and the highest id retention has deleted (a position below it has lost events).</summary>
public sealed record EventPage(IReadOnlyList<ConversationEvent> Events, long ReadThrough, long PrunedThrough);
