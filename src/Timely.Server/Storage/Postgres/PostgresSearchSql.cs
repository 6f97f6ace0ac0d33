using Dapper;
using Timely.Server.Domain;

namespace Timely.Server.Storage.Postgres;

/// <summary>Search on PostgreSQL: the generated tsvector column of messages (migrations 0005 and 0010) and the
/// conversation_search table of subjects and tags (0011), configuration timely_search ('simple' without
/// accents). The query
/// becomes a tsquery built from the parsed terms: each word or phrase through phraseto_tsquery (which
/// tokenises it as to_tsvector tokenised the text, and reads no operators), each prefix through
/// to_tsquery of a quoted lexeme of letters and digits only, joined with &amp;&amp; and !!. Relevance is
/// ts_rank, which depends only on the message and the query, scaled to an integer.</summary>
public sealed class PostgresSearchSql : ISearchSql
{
    /// <summary>The text search configuration of the tsvector columns (migration 0010): queries and snippets use it too.</summary>
    private const string Configuration = "'timely_search'";

    private static readonly string HeadlineOptions =
        $"StartSel={MessageHit.MatchStart}, StopSel={MessageHit.MatchEnd}, MaxWords=24, MinWords=8, ShortWord=0, MaxFragments=2, FragmentDelimiter=\" … \"";

    public string Match(SearchQuery query, DynamicParameters p)
    {
        var parts = new List<string>();
        for (var i = 0; i < query.Terms.Count; i++)
        {
            var term = query.Terms[i];
            p.Add($"Term{i}", term.IsPrefix ? $"'{term.Text}':*" : term.Text);
            var tsquery = term.IsPrefix ? $"to_tsquery({Configuration}, @Term{i})" : $"phraseto_tsquery({Configuration}, @Term{i})";
            parts.Add(term.Excluded ? $"!!{tsquery}" : tsquery);
        }
        p.Add("Headline", HeadlineOptions);
        return "(" + string.Join(" && ", parts) + ")";
    }

    // The candidates are the newest @RankedHits hits (ids are UUIDv7: by time), and ts_rank scores only those.
    public string Messages(string match, string filters, string after, bool fewFiltered) =>
        $"SELECT page.*, ts_headline({Configuration}, page.content, {match}, @Headline) AS snippet FROM (" +
        $"SELECT * FROM (SELECT {StoreSql.Qualified("m", StoreSql.MessageColumns)}, " +
        $"round(ts_rank(m.search, {match})::numeric * 1000000)::bigint AS score FROM (SELECT m.* FROM messages m " +
        (filters.Length > 0 ? "JOIN conversations c ON c.workspace = m.workspace AND c.id = m.conversation_id " : "") +
        $"WHERE m.workspace = @Workspace AND m.search @@ {match}{filters} ORDER BY m.id DESC LIMIT @RankedHits) m) hit " +
        $"WHERE 1 = 1{after} ORDER BY score DESC, id LIMIT @Limit" +
        ") page ORDER BY page.score DESC, page.id";

    // The messages' own alias c (the filters' conversations) hides the outer one: the subquery runs once.
    public string ConversationMatches(string match, string filters, bool publicOnly, bool fewFiltered) =>
        $" AND (c.id IN (SELECT s.conversation_id FROM conversation_search s WHERE s.workspace = @Workspace AND s.search @@ {match})" +
        " OR c.id IN (SELECT m.conversation_id FROM messages m " +
        (filters.Length > 0 ? "JOIN conversations c ON c.workspace = m.workspace AND c.id = m.conversation_id " : "") +
        $"WHERE m.workspace = @Workspace AND m.search @@ {match}{(publicOnly ? " AND m.visibility = 1" : "")}{filters} " +
        "ORDER BY m.id DESC LIMIT @RankedHits))";

    // PostgreSQL's planner chooses between the GIN index and a conversation's messages from its statistics.
    public string? FewFilteredMessages(string filters) => null;
}
