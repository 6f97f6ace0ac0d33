using Timely.Server.Domain;

namespace Timely.Server.Storage;

/// <summary>Carries live-only items (reply draft updates, agent activity) to the other replicas, in the
/// order they were sent; nothing where there is one process. Items are not stored: a replica that is
/// not listening when one is sent never sees it.</summary>
public interface ILiveRelay
{
    void Send(LiveItem item);

    /// <summary>Completes once every item sent before the call has left this replica, so that a change
    /// committed afterwards reaches the other replicas after them.</summary>
    Task FlushAsync(CancellationToken ct);
}

/// <summary>This process's receiver of the other replicas' live items (implemented by Feeds).</summary>
public interface ILiveObserver
{
    void Received(LiveItem item);
}

internal sealed class NoLiveRelay : ILiveRelay
{
    public void Send(LiveItem item) { }

    public Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
}
