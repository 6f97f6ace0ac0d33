namespace Timely.Server.Feeds;

/// <summary>The small payload of a cross-replica change notification: which conversation changed.
/// Subscribers read what changed from the store; the payload only says whom to wake.</summary>
public static class ChangePayload
{
    public static string Format(string workspace, Guid conversationId) => $"{workspace}/{conversationId}";

    public static bool TryParse(string payload, out string workspace, out Guid conversationId)
    {
        var slash = payload.LastIndexOf('/');
        workspace = slash > 0 ? payload[..slash] : "";
        return Guid.TryParse(payload.AsSpan(slash + 1), out conversationId) && slash > 0;
    }
}
