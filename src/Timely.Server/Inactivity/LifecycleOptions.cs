namespace Timely.Server.Inactivity;

/// <summary>Configuration section "Lifecycle": the inactivity rules.</summary>
public sealed class LifecycleOptions
{
    public const string Section = "Lifecycle";

    /// <summary>An open conversation whose last message came from an agent becomes waiting after this long without a customer reply.</summary>
    public TimeSpan WaitingAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A waiting conversation is closed this long after its last message.</summary>
    public TimeSpan CloseAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the sweeper looks for idle conversations.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);
}
