using System.Text;
using Timely.Server.Domain;

namespace Timely.Server.Api;

/// <summary>A store's snippet (matches between <see cref="MessageHit.MatchStart"/> and
/// <see cref="MessageHit.MatchEnd"/>) as the contract's HTML: the text escaped, each match in &lt;mark&gt;.</summary>
public static class Snippets
{
    public static string ToHtml(string snippet)
    {
        var html = new StringBuilder(snippet.Length + 32);
        var open = false;
        foreach (var part in snippet.Split([MessageHit.MatchStart, MessageHit.MatchEnd]).Select((text, i) => (text, i)))
        {
            if (part.i > 0)
            {
                // The separator before this part: a start when no match is open, else an end.
                html.Append(open ? "</mark>" : "<mark>");
                open = !open;
            }
            Escape(part.text, html);
        }
        return open ? html.Append("</mark>").ToString() : html.ToString();
    }

    /// <summary>Escapes the five characters that mean something in HTML, and nothing else: "café" stays
    /// "café" (WebUtility.HtmlEncode writes "caf&amp;#233;", and so for every accented Latin letter).</summary>
    private static void Escape(string text, StringBuilder html)
    {
        foreach (var c in text)
        {
            html.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
    }
}
