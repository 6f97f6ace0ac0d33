using System.Text;
using Dapper;
using Timely.Server.Domain;

namespace Timely.Server.Storage;

/// <summary>What several statements of the stores share: column lists, and the two query builders.
/// Every other statement is written next to the method that runs it. Values are always bound as
/// parameters, never concatenated.</summary>
internal static class StoreSql
{
    public const string ConversationColumns =
        "id, workspace, agent_id, channel_id, contact_id, status, assigned_to, subject, tags, created_at, closed_at, " +
        "last_message_at, activity_at, last_sender_type, last_sequence, version, " +
        "handoff_reason, handoff_priority, handoff_summary, handoff_at, read_horizons";

    public const string MessageColumns =
        "id, conversation_id, workspace, sequence, sender_type, sender_id, content, message_type, media_url, media_type, metadata, created_at, " +
        "visibility, delivery_status, sent_at, delivered_at, read_at, failed_at, delivery_error, external_id, revision, edited_at, redacted_at, redacted_by";

    public const string EventColumns =
        "tx, id, workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation, details";

    /// <summary>What a message row stands for in bytes when a read is bounded in bytes: its text columns in
    /// UTF-8 (what makes up nearly all of its encoded size) plus <see cref="RowOverheadBytes"/>.</summary>
    public static string MessageBytes(string alias) =>
        $"(octet_length({alias}.content) + octet_length({alias}.metadata) + octet_length({alias}.media_url) + " +
        $"octet_length({alias}.media_type) + octet_length({alias}.delivery_error) + {RowOverheadBytes})";

    /// <summary>An event row's bytes: its conversation snapshot and details in UTF-8, its message's bytes
    /// (<see cref="MessageBytes"/>) and <see cref="RowOverheadBytes"/>.</summary>
    public static readonly string EventBytes =
        $"(octet_length(c.conversation) + COALESCE(octet_length(c.details), 0) + {RowOverheadBytes} + COALESCE((SELECT {MessageBytes("m")} " +
        "FROM messages m WHERE m.workspace = c.workspace AND m.id = c.message_id), 0))";

    /// <summary>Allowance for a row's ids, numbers and times, and for the field tags of its encoding.</summary>
    public const int RowOverheadBytes = 256;

    /// <summary>A keyset read bounded in bytes: <paramref name="page"/> reads the keys of at most @Limit rows of
    /// <paramref name="table"/> (their id, their <paramref name="order"/> columns, and their size as row_bytes, which
    /// octet_length takes from each value's header, without loading it); only the rows among them that start
    /// within @MaxBytes are then loaded, each with its size last. <see cref="WithinBudget"/> cuts at the exact row,
    /// so a read loads at most one row past its budget.</summary>
    public static string StartingWithin(string table, string columns, string page, string order) =>
        $"SELECT {string.Join(", ", columns.Split(", ").Select(c => "t." + c))}, CAST(sized.row_bytes AS BIGINT) AS row_bytes FROM (SELECT page.id, page.row_bytes, " +
        $"SUM(page.row_bytes) OVER (ORDER BY {order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_bytes FROM ({page}) page) sized " +
        $"JOIN {table} t ON t.id = sized.id WHERE sized.running_bytes - sized.row_bytes < @MaxBytes " +
        $"ORDER BY {string.Join(", ", order.Split(", ").Select(c => "t." + c))}";

    /// <summary>The rows of a <see cref="StartingWithin"/> read that fit <paramref name="maxBytes"/> by the
    /// <see cref="ByteBudget"/> rule; <paramref name="cut"/> is true when the budget left rows out.</summary>
    public static List<TRow> WithinBudget<TRow>(IEnumerable<(TRow Row, long Bytes)> rows, long maxBytes, out bool cut)
    {
        var budget = new ByteBudget(maxBytes);
        var all = rows.ToList();
        var taken = all.TakeWhile(r => budget.TryTake(r.Bytes)).Select(r => r.Row).ToList();
        cut = taken.Count < all.Count;
        return taken;
    }

    public const string GetConversation =
        $"SELECT {ConversationColumns} FROM conversations WHERE workspace = @Workspace AND id = @Id";

    /// <summary>A page of conversations: only the filters that are set (and the search, when there is one, over the
    /// newest <paramref name="rankedHits"/> matching messages), then the keyset condition.</summary>
    public static (string Sql, DynamicParameters Parameters) ListConversations(
        ISearchSql search, string workspace, ConversationQuery q, ConversationKey? after, int limit, int rankedHits, bool fewFiltered = false)
    {
        var sql = new StringBuilder($"SELECT {ConversationColumns}{Unread(q)} FROM conversations c WHERE c.workspace = @Workspace");
        var p = new DynamicParameters(new { Workspace = workspace, Limit = limit });
        var filters = new StringBuilder();
        Filters(filters, p, q);
        sql.Append(filters);
        if (q.UnreadFor is { } reader)
        {
            p.Add("UnreadFor", reader.ToString());
            p.Add("HumanAgent", (long)ReadParticipant.HumanAgent);
            if (q.OnlyUnread)
            {
                sql.Append($" AND c.last_sequence > {ReadSequence}");
            }
        }
        if (q.Matching is not null)
        {
            p.Add("RankedHits", rankedHits);
            sql.Append(search.ConversationMatches(search.Match(q.Matching, p), filters.ToString(), publicOnly: q.Visibility == MessageVisibility.Public, fewFiltered));
        }

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

    /// <summary>A page of search hits: of the newest <paramref name="rankedHits"/> messages matching the search
    /// in the workspace's conversations (alias c) that match the filters, those after the keyset position,
    /// by score then message id.</summary>
    public static (string Sql, DynamicParameters Parameters) SearchMessages(
        ISearchSql search, string workspace, SearchQuery query, ConversationQuery filters, SearchKey? after, int limit, int rankedHits, bool fewFiltered)
    {
        var p = new DynamicParameters(new { Workspace = workspace, Limit = limit, RankedHits = rankedHits });
        var match = search.Match(query, p);
        var conditions = new StringBuilder();
        Filters(conditions, p, filters);
        if (filters.Visibility is { } visibility)
        {
            conditions.Append(" AND m.visibility = @Visibility");
            p.Add("Visibility", (long)visibility);
        }
        var keyset = "";
        if (after is not null)
        {
            keyset = " AND (score < @AfterScore OR (score = @AfterScore AND id > @AfterId))";
            p.Add("AfterScore", after.Score);
            p.Add("AfterId", after.MessageId.ToString());
        }
        return (search.Messages(match, conditions.ToString(), keyset, fewFiltered), p);
    }

    /// <summary>The dialect's <see cref="ISearchSql.FewFilteredMessages"/> query for these filters, or null (no
    /// filters on conversations, or a dialect that does not ask).</summary>
    public static (string Sql, DynamicParameters Parameters)? FewFilteredMessages(ISearchSql search, string workspace, ConversationQuery q)
    {
        var filters = new StringBuilder();
        var p = new DynamicParameters(new { Workspace = workspace });
        Filters(filters, p, q);
        return filters.Length > 0 && search.FewFilteredMessages(filters.ToString()) is { } sql ? (sql, p) : null;
    }

    /// <summary>The human agent @UnreadFor's read horizon in conversation c (0 before they read anything).</summary>
    private const string ReadSequence =
        "COALESCE((SELECT h.read_sequence FROM read_horizons h WHERE h.workspace = @Workspace AND h.conversation_id = c.id AND h.participant_type = @HumanAgent " +
        "AND h.participant_id = @UnreadFor), 0)";

    /// <summary>The unread_count column of a list for one human agent (from their horizon: no per-message rows).</summary>
    private static string Unread(ConversationQuery q) => q.UnreadFor is null ? "" : $", c.last_sequence - {ReadSequence} AS unread_count";

    /// <summary>"alias.column, ..." for a column list.</summary>
    public static string Qualified(string alias, string columns) =>
        string.Join(", ", columns.Split(", ").Select(c => $"{alias}.{c}"));

    /// <summary>The conditions of the filters that are set, on conversations (alias c).</summary>
    public static void Filters(StringBuilder sql, DynamicParameters p, ConversationQuery q)
    {
        Statuses(sql, p, q.Statuses, "c.status IN {0}");
        Equal(sql, p, "agent_id", "AgentId", q.AgentId?.ToString());
        Equal(sql, p, "channel_id", "ChannelId", q.ChannelId?.ToString());
        Equal(sql, p, "contact_id", "ContactId", q.ContactId?.ToString());
        Equal(sql, p, "assigned_to", "AssignedTo", q.AssignedTo?.ToString());
        if (q.Tag is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM conversation_tags t WHERE t.workspace = c.workspace AND t.conversation_id = c.id AND t.tag = @Tag)");
            p.Add("Tag", q.Tag);
        }
        Range(sql, p, "created_at", "Created", q.CreatedAfter, q.CreatedBefore);
        Range(sql, p, "last_message_at", "LastMessage", q.LastMessageAfter, q.LastMessageBefore);
        if (q.Priority is { } priority)
        {
            sql.Append(" AND c.handoff_priority = @Priority");
            p.Add("Priority", (long)priority);
        }
    }

    /// <summary>Final events after a position, matching a watch filter, in log order.</summary>
    public static (string Sql, DynamicParameters Parameters) ListEvents(
        StoreDialect dialect, string workspace, EventFilter f, EventPosition after, int limit, long? maxBytes = null)
    {
        var sql = new StringBuilder(
            $"SELECT {(maxBytes is null ? EventColumns : $"c.id, c.tx, {EventBytes} AS row_bytes")} FROM events c " +
            "WHERE c.workspace = @Workspace AND (c.tx, c.id) > (@AfterTx, @AfterId)");
        sql.Append(dialect.FinalEventsCondition);
        var p = new DynamicParameters(new { Workspace = workspace, AfterTx = after.Tx, AfterId = after.Id, Limit = limit, MaxBytes = maxBytes });
        Equal(sql, p, "agent_id", "AgentId", f.AgentId?.ToString());
        Equal(sql, p, "channel_id", "ChannelId", f.ChannelId?.ToString());
        Equal(sql, p, "conversation_id", "ConversationId", f.ConversationId?.ToString());
        Statuses(sql, p, f.Statuses, "(c.status IN {0} OR c.old_status IN {0})");
        sql.Append(" ORDER BY c.tx, c.id LIMIT @Limit");
        return (maxBytes is null ? sql.ToString() : StartingWithin("events", EventColumns, sql.ToString(), "tx, id"), p);
    }

    /// <summary>"(@Name0, @Name1, ...)" with one bound parameter per value: Dapper would pass a list to
    /// Npgsql as one array parameter, which IN does not take, so lists are spelled out the same way for both.</summary>
    public static string List<T>(DynamicParameters p, string name, IReadOnlyList<T> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            p.Add(name + i, values[i]);
        }
        return "(" + string.Join(", ", Enumerable.Range(0, values.Count).Select(i => $"@{name}{i}")) + ")";
    }

    /// <summary>A status filter, each status once and in one order: one SQL text per set of statuses
    /// (Dapper caches every distinct text).</summary>
    private static void Statuses(StringBuilder sql, DynamicParameters p, IReadOnlyList<ConversationStatus> statuses, string condition)
    {
        if (statuses.Count > 0)
        {
            var list = List(p, "Status", statuses.Distinct().Order().Select(s => (long)s).ToList());
            sql.Append(" AND ").Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, condition, list));
        }
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
