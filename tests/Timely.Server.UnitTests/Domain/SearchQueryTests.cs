using Timely.Server.Domain;

namespace Timely.Server.UnitTests.Domain;

/// <summary>The search syntax of Domain/SearchQuery.cs: words, "phrases", prefix*, -exclusions; anything
/// else is refused with a message naming the problem and where it is.</summary>
public sealed class SearchQueryTests
{
    [Fact]
    public void WordsPhrasesPrefixesAndExclusionsParseIntoTerms()
    {
        var query = Parse("refund \"order  number\" ref* -spam -\"gift card\" bob@example.com");
        Assert.Equal(
            [
                new SearchTerm("refund", false, false, false),
                new SearchTerm("order number", true, false, false),
                new SearchTerm("ref", false, true, false),
                new SearchTerm("spam", false, false, true),
                new SearchTerm("gift card", true, false, true),
                new SearchTerm("bob@example.com", false, false, false),
            ],
            query.Terms);
    }

    [Fact]
    public void LowerCaseOperatorWordsAreJustWords() =>
        Assert.Equal(["and", "or", "not"], Parse("and or not").Terms.Select(t => t.Text));

    [Theory]
    [InlineData("", "is required")]
    [InlineData("   ", "is required")]
    [InlineData("\"refund", "quote at character 1 that is never closed")]
    [InlineData("a \"b c", "quote at character 3 that is never closed")]
    [InlineData("re\"fund", "quote inside the word")]
    [InlineData("\"a b\"*", "a prefix* ends a word, not a phrase")]
    [InlineData("\"a b\"c", "needs a space after the phrase")]
    [InlineData("\"  \"", "no letter or digit")]
    [InlineData("ref*und", "a * may only end a word")]
    [InlineData("*", "no letter or digit")]
    [InlineData("**", "a * may only end a word")]
    [InlineData("r*", "at least 2 letters or digits")]
    [InlineData("a.b*", "at least 2 letters or digits and nothing else")]
    [InlineData("refund -", "a - at character 8 that is not followed")]
    [InlineData("refund - spam", "a - at character 8 that is not followed")]
    [InlineData("--spam refund", "a - at character 1")]
    [InlineData("-spam", "at least one word or phrase that is not excluded")]
    [InlineData("-spam -\"x y\"", "at least one word or phrase that is not excluded")]
    [InlineData("refund OR return", "operator OR at character 8")]
    [InlineData("NOT spam", "operator NOT")]
    [InlineData("a AND b", "operator AND")]
    [InlineData("a NEAR b", "operator NEAR")]
    [InlineData("(refund)", "parenthesis at character 1")]
    [InlineData("refund)", "parenthesis at character 7")]
    [InlineData("!!!", "no letter or digit")]
    public void AnythingElseIsRefusedWithTheProblemNamed(string text, string expected)
    {
        Assert.Null(SearchQuery.TryParse(text, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void TooLongAndTooManyTermsAreRefused()
    {
        Assert.Null(SearchQuery.TryParse(new string('a', SearchQuery.MaxLength + 1), out var error));
        Assert.Contains($"at most {SearchQuery.MaxLength} characters", error);
        Assert.Null(SearchQuery.TryParse(string.Join(' ', Enumerable.Range(0, SearchQuery.MaxTerms + 1).Select(i => $"w{i}")), out error));
        Assert.Contains($"at most {SearchQuery.MaxTerms} terms", error);
        Assert.NotNull(SearchQuery.TryParse(string.Join(' ', Enumerable.Range(0, SearchQuery.MaxTerms).Select(i => $"w{i}")), out _));
    }

    private static SearchQuery Parse(string text)
    {
        var query = SearchQuery.TryParse(text, out var error);
        Assert.True(query is not null, error);
        return query;
    }
}
