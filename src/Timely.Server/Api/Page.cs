using Google.Protobuf;
using Google.Protobuf.Collections;
using Timely.Server.Domain;

namespace Timely.Server.Api;

/// <summary>Fills a page of a list response, bounded in items and in bytes.</summary>
public static class Page
{
    /// <summary>Adds the first rows to <paramref name="items"/>: at most <paramref name="pageSize"/>, and
    /// only while the page stays under <see cref="Limits.MaxPageBytes"/> (<see cref="ByteBudget"/>: always at least
    /// one, which fits since every item is far smaller). Returns how many were added: the next page starts after the last.</summary>
    public static int Fill<TRow, TItem>(IReadOnlyList<TRow> rows, int pageSize, Func<TRow, TItem> toProto, RepeatedField<TItem> items)
        where TItem : IMessage
    {
        var budget = new ByteBudget(Limits.MaxPageBytes);
        foreach (var row in rows.Take(pageSize))
        {
            var item = toProto(row);
            if (!budget.TryTake(CodedOutputStream.ComputeMessageSize(item) + 1))   // with its field tag
            {
                break;
            }
            items.Add(item);
        }
        return items.Count;
    }
}
