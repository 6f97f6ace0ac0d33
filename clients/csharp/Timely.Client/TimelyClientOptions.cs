namespace Timely.Client;

/// <summary>How to reach the Timely conversation service.</summary>
public sealed class TimelyClientOptions
{
    /// <summary>The service's native gRPC address, for example <c>http://localhost:50051</c>.</summary>
    public Uri Address { get; set; } = new("http://localhost:50051");

    /// <summary>The API key, sent as <c>authorization: Bearer &lt;key&gt;</c> on every call, streams included.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>The deadline of a unary call that sets none itself. Streams have no default deadline.</summary>
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a unary call is attempted when it fails with UNAVAILABLE in flight (the
    /// server stopped under it): 1 disables retries, 5 (the default) is gRPC's maximum. A call made while the
    /// service is unreachable does not fail: it waits for it (wait-for-ready) up to its deadline.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The longest pause between two attempts to reconnect a stream.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);
}
