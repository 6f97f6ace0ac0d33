namespace Timely.Server.DataLifecycle;

/// <summary>Configuration section "DataLifecycle": how erasures and the retention sweeper run.</summary>
public sealed class DataLifecycleOptions
{
    public const string Section = "DataLifecycle";

    /// <summary>Rows an erasure deletes or scrubs per transaction: writers of other conversations wait for one batch at most.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How often a replica looks for running erasures whose replica stopped (their lease expired).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a replica holds an erasure without renewing its lease (it renews after every conversation).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the retention sweeper applies the workspaces' retention policies.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
}
