using Dapper;
using Timely.Server.Domain;

namespace Timely.Server.Storage;

/// <summary>A dialect's full-text search SQL: how a parsed <see cref="SearchQuery"/> becomes its engine's
/// query (bound as parameters, never spliced in), and the statements that use it. Each statement is
/// scoped by @Workspace; conditions on the message's conversation use the alias c.</summary>
public interface ISearchSql
{
    /// <summary>Binds the query to <paramref name="p"/> and returns the SQL that the other members take as <c>match</c>.</summary>
    string Match(SearchQuery query, DynamicParameters p);

    /// <summary>A page of hits (the message columns, <c>score</c>, the higher the better, as an integer, and
    /// <c>snippet</c>, matches between <see cref="MessageHit.MatchStart"/> and <see cref="MessageHit.MatchEnd"/>),
    /// by score descending then message id, of the newest @RankedHits matching messages of the workspace
    /// (alias m) whose conversations (alias c, joined only when there are <paramref name="filters"/>:
    /// " AND ..." conditions on c, or "") match, after the keyset condition <paramref name="after"/> (on
    /// <c>score</c> and <c>id</c>), at most @Limit. Only those candidates are scored.</summary>
    /// <remarks><paramref name="fewFiltered"/>: the <see cref="FewFilteredMessages"/> query said true.</remarks>
    string Messages(string match, string filters, string after, bool fewFiltered);

    /// <summary>A condition on a conversation (alias c): its subject and tags match, or it holds one of the newest
    /// @RankedHits matching messages (only public ones with <paramref name="publicOnly"/>) of the workspace's
    /// conversations that match <paramref name="filters"/> (" AND ..." conditions on c, or ""). The bound keeps a
    /// common word's cost that of @RankedHits matches, as <see cref="Messages"/> does.</summary>
    string ConversationMatches(string match, string filters, bool publicOnly, bool fewFiltered);

    /// <summary>A query of one boolean: do the workspace's conversations that match <paramref name="filters"/> (" AND ..."
    /// conditions on c) hold so few messages that the statements above should start from them rather than from the
    /// matches? Null where the database's planner makes that choice itself.</summary>
    string? FewFilteredMessages(string filters);
}
