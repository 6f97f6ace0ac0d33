namespace Timely.Server.Feeds;

/// <summary>Tells every replica's subscribers that a conversation changed. Called after the change is
/// committed; a notification is only a hint to read the store, so losing one delays a delivery but
/// never loses it. Never blocks the writer.</summary>
public interface IChangeNotifier
{
    void Notify(string workspace, Guid conversationId);
}

/// <summary>The single-process notifier: wakes this process's subscribers directly.</summary>
public sealed class InProcessChangeNotifier(ChangeSignals signals) : IChangeNotifier
{
    public void Notify(string workspace, Guid conversationId) => signals.Wake(workspace, conversationId);
}
