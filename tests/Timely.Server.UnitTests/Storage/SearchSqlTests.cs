using Dapper;
using Timely.Server.Api;
using Timely.Server.Domain;
using Timely.Server.Storage.Postgres;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>How each dialect renders a parsed query: caller text only ever in bound parameters, as
/// engine strings that carry no operator (FTS5 quoted strings; phraseto_tsquery's plain text).</summary>
public sealed class SearchSqlTests
{
    private static readonly SearchQuery Query = SearchQuery.TryParse("refund \"order number\" ref* -spam -\"gift card\" OR-x", out _)!;

    [Fact]
    public void SqliteRendersQuotedFts5StringsAndBindsThem()
    {
        var p = new DynamicParameters();
        Assert.Equal("@Match", new SqliteSearchSql().Match(Query, p));
        Assert.Equal("(\"refund\" AND \"order number\" AND \"ref\"* AND \"OR-x\") NOT \"spam\" NOT \"gift card\"", p.Get<string>("Match"));
    }

    [Fact]
    public void PostgresBuildsTheTsqueryFromBoundTerms()
    {
        var p = new DynamicParameters();
        var sql = new PostgresSearchSql().Match(Query, p);
        Assert.Equal("(phraseto_tsquery('timely_search', @Term0) && phraseto_tsquery('timely_search', @Term1) && to_tsquery('timely_search', @Term2) && "
            + "!!phraseto_tsquery('timely_search', @Term3) && !!phraseto_tsquery('timely_search', @Term4) && phraseto_tsquery('timely_search', @Term5))", sql);
        Assert.Equal("'ref':*", p.Get<string>("Term2"));
        Assert.Equal("gift card", p.Get<string>("Term4"));
    }

    [Fact]
    public void SnippetsEscapeOnlyWhatHtmlReads() =>
        Assert.Equal("café &quot;x&quot; &#39;y&#39; 日本 <mark>über</mark>",
            Snippets.ToHtml($"café \"x\" 'y' 日本 {MessageHit.MatchStart}über{MessageHit.MatchEnd}"));

    [Fact]
    public void SnippetsBecomeEscapedHtmlWithMarks() =>
        Assert.Equal("a &lt;b&gt; <mark>refund</mark> &amp; <mark>more</mark>…",
            Snippets.ToHtml($"a <b> {MessageHit.MatchStart}refund{MessageHit.MatchEnd} & {MessageHit.MatchStart}more{MessageHit.MatchEnd}…"));
}
