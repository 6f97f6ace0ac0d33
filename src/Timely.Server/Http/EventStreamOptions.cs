namespace Timely.Server.Http;

/// <summary>Configuration section "EventStreams": the Server-Sent Events views of the live feeds.</summary>
public sealed class EventStreamOptions
{
    public const string Section = "EventStreams";

    /// <summary>How long an event stream may stay silent before it sends a `: keep-alive` comment, so that
    /// proxies and load balancers do not close an idle connection.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);
}
