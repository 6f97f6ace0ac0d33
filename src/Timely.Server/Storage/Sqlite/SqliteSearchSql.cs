using Dapper;
using Timely.Server.Domain;

namespace Timely.Server.Storage.Sqlite;

/// <summary>Search on SQLite: FTS5 (migrations 0005 and 0011). The query becomes an FTS5 expression of quoted
/// strings only (a quoted string is a phrase of its tokens, so no caller text is read as FTS5 syntax);
/// relevance is bm25, negated (higher is better) and scaled to an integer so a page token can carry it.</summary>
public sealed class SqliteSearchSql : ISearchSql
{
    private const string Snippet = "snippet(messages_fts, 0, char(57344), char(57345), '…', 24)";

    /// <summary>Indexes the messages written since the last run and moves the mark (migration 0011): the group
    /// commit runs it in each group's transaction, just before the commit.</summary>
    public const string IndexNewMessages =
        "INSERT INTO messages_fts (rowid, content) SELECT rowid, content FROM messages " +
        "WHERE rowid > (SELECT value FROM counters WHERE name = 'messages_fts_through');\n" +
        "UPDATE counters SET value = (SELECT COALESCE(MAX(rowid), 0) FROM messages) " +
        "WHERE name = 'messages_fts_through' AND value <> (SELECT COALESCE(MAX(rowid), 0) FROM messages)";

    public string Match(SearchQuery query, DynamicParameters p)
    {
        var included = query.Terms.Where(t => !t.Excluded).Select(Render);
        var excluded = query.Terms.Where(t => t.Excluded).Select(t => " NOT " + Render(t));
        p.Add("Match", "(" + string.Join(" AND ", included) + ")" + string.Concat(excluded));
        return "@Match";
    }

    // The candidates are the newest hits: FTS5 walks its index by descending rowid (insertion order) and
    // stops after @RankedHits, so bm25 scores only those. They are ranked on (score, id, rowid) alone; only
    // the page's rows are read in full. The page's snippets come from one more walk of the matches, over the
    // page's rowid range: joined row by row instead, FTS5 evaluated the query again for each row, which
    // cost a common word's whole doclist per hit (about 2 ms each at 100,000 matches).
    public string Messages(string match, string filters, string after, bool fewFiltered) =>
        "WITH page AS MATERIALIZED (SELECT * FROM (" +
        "SELECT m.rowid AS search_rowid, m.id, CAST(round(-bm25(messages_fts) * 1000000) AS INTEGER) AS score " +
        $"FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid {Candidates(match, filters, fewFiltered)} " +
        "ORDER BY messages_fts.rowid DESC LIMIT @RankedHits) hit " +
        $"WHERE 1 = 1{after} ORDER BY score DESC, id LIMIT @Limit), " +
        $"snippets AS MATERIALIZED (SELECT rowid AS search_rowid, {Snippet} AS snippet FROM messages_fts WHERE messages_fts MATCH {match} " +
        "AND rowid BETWEEN (SELECT min(search_rowid) FROM page) AND (SELECT max(search_rowid) FROM page) " +
        "AND +rowid IN (SELECT search_rowid FROM page)) " +   // '+': a filter on the walk, not a lookup per rowid
        $"SELECT {StoreSql.Qualified("m", StoreSql.MessageColumns)}, page.score, snippets.snippet FROM page " +
        "JOIN messages m ON m.rowid = page.search_rowid JOIN snippets ON snippets.search_rowid = page.search_rowid " +
        "ORDER BY page.score DESC, page.id";

    // The messages' part walks the index by descending rowid, as Messages does, and stops after @RankedHits; its
    // own aliases hide the outer c, so it runs once, not once per conversation.
    public string ConversationMatches(string match, string filters, bool publicOnly, bool fewFiltered) =>
        $" AND (c.rowid IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH {match})" +
        " OR c.id IN (SELECT m.conversation_id FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid " +
        Candidates(match, filters + (publicOnly ? " AND m.visibility = 1" : ""), fewFiltered) +
        " ORDER BY messages_fts.rowid DESC LIMIT @RankedHits))";

    /// <summary>At most this many conversations, holding at most <see cref="FewMessages"/> messages, are few.</summary>
    private const int FewConversations = 5_000;

    /// <summary>Few enough messages to collect their rowids first: about 1 µs each.</summary>
    private const int FewMessages = 20_000;

    // Reads at most FewConversations + 1 conversations, whatever the filters keep.
    public string? FewFilteredMessages(string filters) =>
        $"SELECT COUNT(*) <= {FewConversations} AND COALESCE(SUM(n), 0) <= {FewMessages} FROM " +
        $"(SELECT c.last_sequence AS n FROM conversations c WHERE c.workspace = @Workspace{filters} LIMIT {FewConversations + 1})";

    /// <summary>The FROM's rest and WHERE of a walk of the matches (messages_fts, joined to messages m) that keeps those
    /// of the workspace whose conversation (alias c) and message pass <paramref name="filters"/>. Without filters, the
    /// walk reads each match's message; with them, also its conversation, for each match until @RankedHits passed: for a
    /// filter that keeps one contact's conversation, every match of a common word (about 2 µs each; 214 ms for 100,000).
    /// So when the filtered conversations hold few messages, their rowids are collected first, once, and the walk checks
    /// each match against that set ('+': a filter on the walk, not a lookup per rowid), reading only the matches kept.</summary>
    private static string Candidates(string match, string filters, bool fewFiltered) =>
        filters.Length == 0 ? $"WHERE messages_fts MATCH {match} AND m.workspace = @Workspace"
        : fewFiltered ? $"WHERE messages_fts MATCH {match} AND m.workspace = @Workspace AND +messages_fts.rowid IN " +
                        "(SELECT m.rowid FROM conversations c JOIN messages m ON m.conversation_id = c.id " +
                        $"WHERE c.workspace = @Workspace AND m.workspace = @Workspace{filters})"
        : $"JOIN conversations c ON c.workspace = m.workspace AND c.id = m.conversation_id WHERE messages_fts MATCH {match} AND m.workspace = @Workspace{filters}";

    /// <summary>A term as an FTS5 string: "text" (quotes doubled), "stem"* for a prefix.</summary>
    private static string Render(SearchTerm term) =>
        "\"" + term.Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (term.IsPrefix ? "*" : "");
}
