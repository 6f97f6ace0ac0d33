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

    /// <summary>Applies <paramref name="change"/> to the current state (and the store's present time, at
    /// its precision) under a write lock and records its events. A non-null <paramref name="expectedVersion"/>
    /// that differs from the stored one fails with <see cref="EtagMismatchException"/>.</summary>
    Task<Conversation> UpdateConversationAsync(
        string workspace, Guid id, long? expectedVersion, Func<Conversation, DateTimeOffset, ConversationChange> change, CancellationToken ct);

    /// <summary>Appends a message (next sequence, lifecycle effects, events), or returns what an earlier call with the same request id appended.</summary>
    Task<AppendResult> AppendMessageAsync(string workspace, Guid conversationId, NewMessage message, IdempotencyKey? request, CancellationToken ct);

    /// <summary>The inbound path: appends a customer message to the contact's conversation on the channel that is not closed, or creates one.</summary>
    Task<IngestResult> IngestCustomerMessageAsync(InboundMessage message, IdempotencyKey? request, CancellationToken ct);

    /// <summary>One page of the messages matching <paramref name="search"/> in the conversations matching
    /// <paramref name="filters"/> (its order is not used), most relevant first, after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<MessageHit>> SearchMessagesAsync(
        string workspace, SearchQuery search, ConversationQuery filters, SearchKey? after, int limit, CancellationToken ct);

    /// <summary>Messages after <paramref name="afterSequence"/> in sequence order; only those of <paramref name="visibility"/> when it is set.
    /// With <paramref name="maxBytes"/>, only as many as fit in that many bytes (<see cref="ByteBudget"/>, at least one),
    /// counted as <see cref="StoreSql.MessageBytes"/> does: the read itself stops there, whatever the messages' size.</summary>
    Task<IReadOnlyList<Message>> ListMessagesAsync(
        string workspace, Guid conversationId, long afterSequence, int limit, CancellationToken ct, MessageVisibility? visibility = null,
        long? maxBytes = null);

    /// <summary>A page of a list of messages: at most <paramref name="pageSize"/> after <paramref name="afterSequence"/>, and only as many
    /// as fit <paramref name="maxBytes"/> (counted as <see cref="StoreSql.MessageBytes"/> does, at least one): the read loads no
    /// more than that, however large the messages. <see cref="MessagePage.More"/> says whether messages follow the page.</summary>
    Task<MessagePage> ListMessagePageAsync(
        string workspace, Guid conversationId, long afterSequence, int pageSize, long maxBytes, MessageVisibility? visibility, CancellationToken ct);

    /// <summary>True when a write with this request id is recorded in the workspace.</summary>
    Task<bool> HasRequestAsync(string workspace, string requestId, CancellationToken ct);

    /// <summary>Conversations in <paramref name="status"/> whose last activity (last message, else creation)
    /// is at or before <paramref name="idleSince"/> and, when <paramref name="lastSenders"/> is not empty,
    /// whose last message came from one of them: the inactivity sweeper's candidates, across workspaces.</summary>
    Task<IReadOnlyList<ConversationRef>> ListIdleAsync(
        ConversationStatus status, IReadOnlyList<SenderType> lastSenders, DateTimeOffset idleSince, int limit, CancellationToken ct);

    /// <summary>How many conversations are in each status, across workspaces.</summary>
    Task<IReadOnlyDictionary<ConversationStatus, long>> CountByStatusAsync(CancellationToken ct);
}

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
    ConversationOrder Order,
    SearchQuery? Matching = null,
    Guid? UnreadFor = null,
    bool OnlyUnread = false)
{
    /// <summary>Only conversations whose latest handoff had this priority.</summary>
    public HandoffPriority? Priority { get; init; }

    /// <summary>Search only: only messages of this visibility match.</summary>
    public MessageVisibility? Visibility { get; init; }
}


/// <summary>The keyset position of a search hit: its score and message id.</summary>
public sealed record SearchKey(long Score, Guid MessageId)
{
    public static SearchKey Of(MessageHit hit) => new(hit.Score, hit.Message.Id);
}

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

/// <summary>Matching events; the position up to which the log was read (to continue from); the highest
/// position retention has deleted (a position below it has lost events); and whether committed events
/// wait to become final (a transaction begun before them is still running: read again soon). <paramref name="Full"/>:
/// the read stopped at its limit in events or in bytes, so more may follow ReadThrough at once.</summary>
public sealed record EventPage(
    IReadOnlyList<ConversationEvent> Events, EventPosition ReadThrough, EventPosition PrunedThrough, bool Pending, bool Full);

/// <summary>A page of messages, and whether more follow it (cut by the page's items or bytes).</summary>
public sealed record MessagePage(IReadOnlyList<Message> Messages, bool More);
