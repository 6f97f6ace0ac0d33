namespace Timely.Server.Domain;

/// <summary>The one rule for anything bounded in bytes as well as in items (a page of a list, a live
/// subscriber's batch): items are taken in order while their total stays within the budget, and the first
/// item always, so a reader never gets stuck behind an item larger than the budget.</summary>
public sealed class ByteBudget(long maxBytes)
{
    private long used;
    private bool any;

    /// <summary>Takes an item of <paramref name="bytes"/> if it fits (or is the first); false once the
    /// budget is spent: the reply stops before this item, and the next one starts with it.</summary>
    public bool TryTake(long bytes)
    {
        if (any && used + bytes > maxBytes)
        {
            return false;
        }
        used += bytes;
        any = true;
        return true;
    }
}
