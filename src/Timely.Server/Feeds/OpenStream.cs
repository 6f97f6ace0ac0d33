using Timely.Server.Observability;

namespace Timely.Server.Feeds;

/// <summary>Counts a stream as open in <see cref="TimelyMetrics"/> until disposed.</summary>
internal readonly struct OpenStream : IDisposable
{
    private readonly TimelyMetrics metrics;
    private readonly StreamKind kind;

    public OpenStream(TimelyMetrics metrics, StreamKind kind)
    {
        this.metrics = metrics;
        this.kind = kind;
        metrics.StreamOpened(kind);
    }

    public void Dispose() => metrics.StreamClosed(kind);
}
