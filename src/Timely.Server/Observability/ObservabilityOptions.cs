namespace Timely.Server.Observability;

/// <summary>Configuration section "Metrics".</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Off: no /metrics, no metrics over OTLP (the instruments cost next to nothing unheard).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>When set, /metrics answers only a scraper that sends `authorization: Bearer &lt;key&gt;`.
    /// Its own key, not an API key: a scraper needs no workspace.</summary>
    public string? Key { get; set; }

    /// <summary>How often conversations by status and the event log are counted for the gauges.</summary>
    public TimeSpan GaugeInterval { get; set; } = TimeSpan.FromSeconds(30);
}
