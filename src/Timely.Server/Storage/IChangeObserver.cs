namespace Timely.Server.Storage;

/// <summary>This process's live subscribers, told which conversations changed once the change is
/// committed: by this process's writes (<see cref="Database"/>) and by the other replicas'
/// (Postgres/PostgresChangeListener.cs). Implemented by Feeds; never blocks the caller.</summary>
public interface IChangeObserver
{
    void Changed(string workspace, Guid conversationId);

    /// <summary>Changes may have been missed (e.g. a lost notification connection): everyone re-reads.</summary>
    void ChangedAll();
}

/// <summary>Tells the other replicas which conversations this one changed; nothing where there is one process.</summary>
public interface IReplicaNotifier
{
    void Notify(IReadOnlyCollection<ConversationRef> changes);
}

public readonly record struct ConversationRef(string Workspace, Guid ConversationId);

internal sealed class NoOtherReplicas : IReplicaNotifier
{
    public void Notify(IReadOnlyCollection<ConversationRef> changes) { }
}

internal sealed class NoSubscribers : IChangeObserver
{
    public void Changed(string workspace, Guid conversationId) { }

    public void ChangedAll() { }
}
