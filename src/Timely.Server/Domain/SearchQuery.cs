namespace Timely.Server.Domain;

/// <summary>One term of a search: a word, a "phrase" (its words in that order) or a prefix*, possibly
/// excluded (-term). <see cref="Text"/> is what the caller typed, without the quotes, - and *.</summary>
public sealed record SearchTerm(string Text, bool IsPhrase, bool IsPrefix, bool Excluded);

/// <summary>A parsed search query: every term that is not excluded must match, no excluded one may.
/// The one parser of the search syntax; each store renders the terms into its own engine's query
/// (Storage/Sqlite/SqliteSearchSql.cs, Storage/Postgres/PostgresSearchSql.cs), so caller text never
/// reaches an engine's parser.</summary>
public sealed record SearchQuery(IReadOnlyList<SearchTerm> Terms)
{
    public const int MaxLength = 256;
    public const int MaxTerms = 16;
    public const int MinPrefixLength = 2;

    private static readonly HashSet<string> Operators = new(StringComparer.Ordinal) { "AND", "OR", "NOT", "NEAR" };

    /// <summary>The query, or null with <paramref name="error"/> saying what is wrong and where.</summary>
    public static SearchQuery? TryParse(string text, out string? error)
    {
        error = text.Length > MaxLength ? $"must be at most {MaxLength} characters, not {text.Length}" : null;
        var terms = new List<SearchTerm>();
        for (var at = 0; error is null && at < text.Length;)
        {
            if (char.IsWhiteSpace(text[at]))
            {
                at++;
                continue;
            }
            var start = at;
            var excluded = text[at] == '-';
            if (excluded && (++at == text.Length || char.IsWhiteSpace(text[at]) || text[at] == '-'))
            {
                error = $"has a - at character {start + 1} that is not followed by a word or \"phrase\" to exclude";
                break;
            }
            var term = text[at] == '"' ? Phrase(text, ref at, excluded, out error) : Word(text, ref at, excluded, out error);
            if (term is not null)
            {
                terms.Add(term);
            }
        }
        if (error is null)
        {
            error = terms.Count == 0 ? "is required: words, \"phrases\", prefix* or -excluded terms"
                : terms.Count > MaxTerms ? $"must hold at most {MaxTerms} terms, not {terms.Count}"
                : terms.All(t => t.Excluded) ? "needs at least one word or phrase that is not excluded (-term)"
                : null;
        }
        return error is null ? new SearchQuery(terms) : null;
    }

    private static SearchTerm? Phrase(string text, ref int at, bool excluded, out string? error)
    {
        var open = at;
        var close = text.IndexOf('"', open + 1);
        if (close < 0)
        {
            error = $"has a quote at character {open + 1} that is never closed";
            return null;
        }
        at = close + 1;
        var inner = string.Join(' ', text[(open + 1)..close].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        error = at < text.Length && text[at] == '*' ? $"has a * after the phrase at character {open + 1}: a prefix* ends a word, not a phrase"
            : at < text.Length && !char.IsWhiteSpace(text[at]) ? $"needs a space after the phrase that ends at character {at}"
            : !inner.Any(char.IsLetterOrDigit) ? $"has a phrase at character {open + 1} with no letter or digit to search for"
            : null;
        return error is null ? new SearchTerm(inner, IsPhrase: true, IsPrefix: false, excluded) : null;
    }

    private static SearchTerm? Word(string text, ref int at, bool excluded, out string? error)
    {
        var start = at;
        while (at < text.Length && !char.IsWhiteSpace(text[at]))
        {
            at++;
        }
        var word = text[start..at];
        var prefix = word.EndsWith('*');
        var stem = prefix ? word[..^1] : word;
        error = word.IndexOfAny(['"', '(', ')']) is var bad and >= 0
                ? word[bad] == '"'
                    ? $"has a quote inside the word \"{word}\" at character {start + bad + 1}: quote whole phrases, with spaces around them"
                    : $"has a parenthesis at character {start + bad + 1}: grouping is not supported (all words must match; -word excludes)"
            : stem.Contains('*') ? $"has a * inside \"{word}\" at character {start + 1}: a * may only end a word (prefix*)"
            : !excluded && Operators.Contains(stem) ? $"has the operator {stem} at character {start + 1}: operators are not supported (all words must match; -word excludes)"
            : !stem.Any(char.IsLetterOrDigit) ? $"has \"{word}\" at character {start + 1} with no letter or digit to search for"
            : prefix && (stem.Length < MinPrefixLength || !stem.All(char.IsLetterOrDigit))
                ? $"has the prefix \"{word}\" at character {start + 1}: a prefix* needs at least {MinPrefixLength} letters or digits and nothing else before the *"
            : null;
        return error is null ? new SearchTerm(stem, IsPhrase: false, prefix, excluded) : null;
    }
}
