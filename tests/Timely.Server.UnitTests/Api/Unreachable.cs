using System.Data.Common;
using Grpc.Core;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.UnitTests.Api;

/// <summary>A store for service methods whose request fails validation: it records and refuses every call,
/// so a test can assert the store was never reached. Not a fake database.</summary>
public sealed class UnreachableStore : IConversationStore
{
    public List<string> Calls { get; } = [];

    public Task<Conversation> CreateConversationAsync(NewConversation conversation, IdempotencyKey? request, CancellationToken ct) => Refuse<Conversation>();
    public Task<Conversation?> GetConversationAsync(string workspace, Guid id, CancellationToken ct) => Refuse<Conversation?>();
    public Task<IReadOnlyList<Conversation>> ListConversationsAsync(
        string workspace, ConversationQuery query, ConversationKey? after, int limit, CancellationToken ct) =>
        Refuse<IReadOnlyList<Conversation>>();
    public Task<Conversation> UpdateConversationAsync(
        string workspace, Guid id, long? expectedVersion, Func<Conversation, DateTimeOffset, ConversationChange> change, CancellationToken ct) =>
        Refuse<Conversation>();
    public Task<AppendResult> AppendMessageAsync(string workspace, Guid conversationId, NewMessage message, IdempotencyKey? request, CancellationToken ct) =>
        Refuse<AppendResult>();
    public Task<IngestResult> IngestCustomerMessageAsync(InboundMessage message, IdempotencyKey? request, CancellationToken ct) => Refuse<IngestResult>();
    public Task<IReadOnlyList<MessageHit>> SearchMessagesAsync(
        string workspace, SearchQuery search, ConversationQuery filters, SearchKey? after, int limit, CancellationToken ct) =>
        Refuse<IReadOnlyList<MessageHit>>();
    public Task<bool> HasRequestAsync(string workspace, string requestId, CancellationToken ct) => Refuse<bool>();
    public Task<IReadOnlyList<Message>> ListMessagesAsync(
        string workspace, Guid conversationId, long afterSequence, int limit, CancellationToken ct, MessageVisibility? visibility = null,
        long? maxBytes = null) =>
        Refuse<IReadOnlyList<Message>>();
    public Task<MessagePage> ListMessagePageAsync(
        string workspace, Guid conversationId, long afterSequence, int pageSize, long maxBytes, MessageVisibility? visibility, CancellationToken ct) =>
        Refuse<MessagePage>();
    public Task<IReadOnlyList<ConversationRef>> ListIdleAsync(
        ConversationStatus status, IReadOnlyList<SenderType> lastSenders, DateTimeOffset idleSince, int limit, CancellationToken ct) =>
        Refuse<IReadOnlyList<ConversationRef>>();
    public Task<IReadOnlyDictionary<ConversationStatus, long>> CountByStatusAsync(CancellationToken ct) =>
        Refuse<IReadOnlyDictionary<ConversationStatus, long>>();

    private Task<T> Refuse<T>([System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        Calls.Add(method);
        throw new InvalidOperationException($"the unit tier has no store: {method} was called");
    }
}

/// <summary>The database behind the event feed: every use of it is refused.</summary>
public sealed class UnreachableDialect : StoreDialect
{
    public override string? LockSql => throw Refused();
    public override bool CommitsEachWriteAlone => throw Refused();
    public override string EventLogHeadSql => throw Refused();
    public override string FinalEventsCondition => throw Refused();
    public override string? PendingEventsSql => throw Refused();
    public override string? CommittedAboveHeadSql => throw Refused();
    public override ISearchSql Search => throw Refused();

    public override string AnyOf(string column, string subquery) => throw Refused();

    public override Task<DbConnection> OpenAsync(CancellationToken ct) => throw Refused();
    public override Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct) => throw Refused();
    public override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) => throw Refused();
    public override bool IsUniqueViolation(Exception exception) => throw Refused();
    public override bool IsUnavailable(Exception exception) => throw Refused();
    public override Task MigrateAsync(CancellationToken ct) => throw Refused();
    public override Task ExecuteAsync(StatementBatch batch, WriteTransaction write, CancellationToken ct) => throw Refused();

    private static InvalidOperationException Refused() => new("the unit tier has no database");
}

/// <summary>A response stream no validation failure writes to.</summary>
public sealed class UnwrittenStream<T> : IServerStreamWriter<T>
{
    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => throw new InvalidOperationException("nothing should be written");
}
