namespace Timely.Server.Webhooks;

/// <summary>Configuration section "Webhooks".</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Allow endpoints on loopback, link-local, private and metadata addresses (tests, on-premises).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Allow http:// endpoints; https is required otherwise.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>How long one request may take, connect to last response byte.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the log is read for new events and due retries are sent.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests in flight per endpoint (each to a different conversation).</summary>
    public int ConcurrencyPerEndpoint { get; set; } = 8;

    /// <summary>The delay before the first retry; each next one doubles, up to <see cref="MaxRetryDelay"/>, with jitter.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An endpoint that has failed without a single success for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan RotationWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a replica holds an endpoint's delivery lease without renewing it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Events read from the log per round, and the most undelivered ones kept per endpoint.</summary>
    public int BatchSize { get; set; } = 100;

    public int MaxPendingPerEndpoint { get; set; } = 1000;
}
