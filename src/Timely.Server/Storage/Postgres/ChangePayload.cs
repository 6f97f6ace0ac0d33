namespace Timely.Server.Storage.Postgres;

/// <summary>The small payload of a cross-replica change notification: which replica changed which
/// conversation. Subscribers read what changed from the store; the payload only says whom to wake,
/// and the replica that sent it skips its own (it woke its subscribers already).</summary>
public static class ChangePayload
{
    public static string Format(Guid replica, ConversationRef change) => $"{replica:N}/{change.Workspace}/{change.ConversationId}";

    public static bool TryParse(string payload, out Guid replica, out ConversationRef change)
    {
        change = default;
        var first = payload.IndexOf('/');
        var last = payload.LastIndexOf('/');
        if (first <= 0 || last <= first + 1
            || !Guid.TryParseExact(payload.AsSpan(0, first), "N", out replica)
            || !Guid.TryParse(payload.AsSpan(last + 1), out var conversationId))
        {
            replica = Guid.Empty;
            return false;
        }
        change = new ConversationRef(payload[(first + 1)..last], conversationId);
        return true;
    }
}
