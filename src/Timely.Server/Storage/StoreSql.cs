using System.Text;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>The SQL of the store. It is portable between SQLite and PostgreSQL; what is not lives in
/// <see cref="StoreDialect"/>. Values are always bound as parameters, never concatenated.</summary>
internal static class StoreSql
{
    private const string ConversationColumns =
        "id, workspace, agent_id, channel_id, contact_id, status, assigned_to, subject, tags, created_at, closed_at, " +
        "last_message_at, activity_at, last_sender_type, last_sequence, version";

    private const string MessageColumns =
        "id, conversation_id, workspace, sequence, sender_type, sender_id, content, message_type, media_url, media_type, metadata, created_at";

    public const string GetConversation =
        $"SELECT {ConversationColumns} FROM conversations WHERE workspace = @Workspace AND id = @Id";

    public const string InsertConversation =
        $"INSERT INTO conversations ({ConversationColumns}) VALUES (@Id, @Workspace, @AgentId, @ChannelId, @ContactId, @Status, " +
        "@AssignedTo, @Subject, @Tags, @CreatedAt, @ClosedAt, @LastMessageAt, @ActivityAt, @LastSenderType, @LastSequence, @Version)";

    // The id is unique across workspaces; the row was loaded in this transaction by workspace and id.
    public const string UpdateConversation =
        "UPDATE conversations SET status = @Status, assigned_to = @AssignedTo, subject = @Subject, tags = @Tags, " +
        "closed_at = @ClosedAt, last_message_at = @LastMessageAt, activity_at = @ActivityAt, last_sender_type = @LastSenderType, " +
        "last_sequence = @LastSequence, version = @Version WHERE id = @Id AND workspace = @Workspace";

    /// <summary>The contact's newest conversation on the channel that is not closed (status 3).</summary>
    public const string FindActiveForContact =
        $"SELECT {ConversationColumns} FROM conversations WHERE workspace = @Workspace AND channel_id = @ChannelId " +
        "AND contact_id = @ContactId AND status <> 3 ORDER BY activity_at DESC, id DESC LIMIT 1";

    public const string DeleteTags = "DELETE FROM conversation_tags WHERE conversation_id = @ConversationId";

    public const string InsertTag = "INSERT INTO conversation_tags (conversation_id, workspace, tag) VALUES (@ConversationId, @Workspace, @Tag)";

    public const string InsertMessage =
        $"INSERT INTO messages ({MessageColumns}) VALUES (@Id, @ConversationId, @Workspace, @Sequence, @SenderType, @SenderId, " +
        "@Content, @MessageType, @MediaUrl, @MediaType, @Metadata, @CreatedAt)";

    public const string GetMessage = $"SELECT {MessageColumns} FROM messages WHERE workspace = @Workspace AND id = @Id";

    public static (string Sql, DynamicParameters Parameters) MessagesByIds(IReadOnlyList<string> ids)
    {
        var p = new DynamicParameters();
        return ($"SELECT {MessageColumns} FROM messages WHERE id IN {List(p, "Id", ids)}", p);
    }

    public const string ListMessages =
        $"SELECT {MessageColumns} FROM messages WHERE workspace = @Workspace AND conversation_id = @ConversationId " +
        "AND sequence > @AfterSequence ORDER BY sequence LIMIT @Limit";

    public const string InsertEvent =
        "INSERT INTO events (workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation) " +
        "VALUES (@Workspace, @ConversationId, @AgentId, @ChannelId, @Type, @OccurredAt, @Status, @OldStatus, @MessageId, @Conversation)";

    public const string LatestEventId = "SELECT COALESCE(MAX(id), 0) FROM events";

    public const string PrunedThrough = "SELECT value FROM counters WHERE name = 'events_pruned_through'";

    public const string LastEventBefore = "SELECT MAX(id) FROM events WHERE occurred_at < @Before";

    public const string PruneEvents =
        "DELETE FROM events WHERE id <= @Through; " +
        "UPDATE counters SET value = @Through WHERE name = 'events_pruned_through' AND value < @Through";

    public const string PruneRequests = "DELETE FROM request_ids WHERE created_at < @Before";

    public const string FindRequest =
        "SELECT fingerprint, conversation_id, message_id FROM request_ids WHERE workspace = @Workspace AND request_id = @RequestId";

    public const string InsertRequest =
        "INSERT INTO request_ids (workspace, request_id, fingerprint, conversation_id, message_id, created_at) " +
        "VALUES (@Workspace, @RequestId, @Fingerprint, @ConversationId, @MessageId, @CreatedAt)";

    public const string FindInbound =
        "SELECT '' AS fingerprint, conversation_id, message_id FROM inbound_messages " +
        "WHERE workspace = @Workspace AND channel_id = @ChannelId AND external_id = @ExternalId";

    public const string InsertInbound =
        "INSERT INTO inbound_messages (workspace, channel_id, external_id, message_id, conversation_id) " +
        "VALUES (@Workspace, @ChannelId, @ExternalId, @MessageId, @ConversationId)";

    /// <summary>Open conversations (1) whose last message came from an agent (2 AI, 3 human) and is old enough.</summary>
    public const string WaitingCandidates =
        "SELECT workspace, id FROM conversations WHERE status = 1 AND last_sender_type IN (2, 3) AND activity_at <= @IdleSince LIMIT @Limit";

    /// <summary>Waiting conversations (4) idle long enough to close.</summary>
    public const string ExpiryCandidates =
        "SELECT workspace, id FROM conversations WHERE status = 4 AND activity_at <= @IdleSince LIMIT @Limit";

    public const string InsertSecret = "INSERT INTO secrets (name, value) VALUES (@Name, @Value) ON CONFLICT (name) DO NOTHING";

    public const string GetSecret = "SELECT value FROM secrets WHERE name = @Name";

    /// <summary>A page of conversations: only the filters that are set, then the keyset condition.</summary>
    public static (string Sql, DynamicParameters Parameters) ListConversations(
        string workspace, ConversationQuery q, ConversationKey? after, int limit)
    {
        var sql = new StringBuilder($"SELECT {ConversationColumns} FROM conversations c WHERE c.workspace = @Workspace");
        var p = new DynamicParameters(new { Workspace = workspace, Limit = limit });
        if (q.Statuses.Count > 0)
        {
            sql.Append($" AND c.status IN {List(p, "Status", q.Statuses.Select(s => (long)s).ToList())}");
        }
        Equal(sql, p, "agent_id", "AgentId", q.AgentId?.ToString());
        Equal(sql, p, "channel_id", "ChannelId", q.ChannelId?.ToString());
        Equal(sql, p, "contact_id", "ContactId", q.ContactId?.ToString());
        Equal(sql, p, "assigned_to", "AssignedTo", q.AssignedTo?.ToString());
        if (q.Tag is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = @Tag)");
            p.Add("Tag", q.Tag);
        }
        Range(sql, p, "created_at", "Created", q.CreatedAfter, q.CreatedBefore);
        Range(sql, p, "last_message_at", "LastMessage", q.LastMessageAfter, q.LastMessageBefore);

        var sortColumn = q.Order == ConversationOrder.CreatedAtDesc ? "created_at" : "activity_at";
        if (after is not null)
        {
            sql.Append($" AND (c.{sortColumn} < @AfterSort OR (c.{sortColumn} = @AfterSort AND c.id < @AfterId))");
            p.Add("AfterSort", after.SortValue);
            p.Add("AfterId", after.Id.ToString());
        }
        sql.Append($" ORDER BY c.{sortColumn} DESC, c.id DESC LIMIT @Limit");
        return (sql.ToString(), p);
    }

    /// <summary>Events after a position, matching a watch filter, in log order.</summary>
    public static (string Sql, DynamicParameters Parameters) ListEvents(string workspace, EventFilter f, long afterId, int limit)
    {
        var sql = new StringBuilder(
            "SELECT id, workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation " +
            "FROM events c WHERE c.workspace = @Workspace AND c.id > @AfterId");
        var p = new DynamicParameters(new { Workspace = workspace, AfterId = afterId, Limit = limit });
        Equal(sql, p, "agent_id", "AgentId", f.AgentId?.ToString());
        Equal(sql, p, "channel_id", "ChannelId", f.ChannelId?.ToString());
        Equal(sql, p, "conversation_id", "ConversationId", f.ConversationId?.ToString());
        if (f.Statuses.Count > 0)
        {
            var statuses = List(p, "Status", f.Statuses.Select(s => (long)s).ToList());
            sql.Append($" AND (c.status IN {statuses} OR c.old_status IN {statuses})");
        }
        sql.Append(" ORDER BY c.id LIMIT @Limit");
        return (sql.ToString(), p);
    }

    /// <summary>"(@Name0, @Name1, ...)" with one bound parameter per value: Dapper would pass a list to
    /// Npgsql as one array parameter, which IN does not take, so lists are spelled out the same way for both.</summary>
    private static string List<T>(DynamicParameters p, string name, IReadOnlyList<T> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            p.Add(name + i, values[i]);
        }
        return "(" + string.Join(", ", Enumerable.Range(0, values.Count).Select(i => $"@{name}{i}")) + ")";
    }

    private static void Equal(StringBuilder sql, DynamicParameters p, string column, string name, string? value)
    {
        if (value is not null)
        {
            sql.Append($" AND c.{column} = @{name}");
            p.Add(name, value);
        }
    }

    private static void Range(StringBuilder sql, DynamicParameters p, string column, string name, DateTimeOffset? from, DateTimeOffset? before)
    {
        if (from is { } f)
        {
            sql.Append($" AND c.{column} >= @{name}From");
            p.Add(name + "From", Micros.From(f));
        }
        if (before is { } b)
        {
            sql.Append($" AND c.{column} < @{name}Before");
            p.Add(name + "Before", Micros.From(b));
        }
    }
}
