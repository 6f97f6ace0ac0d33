using System.Data.Common;

namespace Timely.Server.Storage;

/// <summary>What differs between the databases behind <see cref="ConversationStore"/>: how to open a
/// connection, how writers are serialised, and the few statements whose SQL is not portable.</summary>
public abstract class StoreDialect
{
    /// <summary>Opens a connection, ready to use.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct);

    /// <summary>Begins a read-only transaction whose statements all see one snapshot, without blocking writers.</summary>
    public abstract Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Run in each write transaction with @Payload ("workspace/conversation id") to tell other
    /// replicas after commit, or null where there is one process.</summary>
    public abstract string? NotifySql { get; }

    /// <summary>Appended to the SELECT that loads a row about to be changed (a row lock where the database has them).</summary>
    public abstract string ForUpdate { get; }

    /// <summary>Serialises the creation of a contact's conversation on a channel (bound as @Key), or null
    /// where writers are serialised already.</summary>
    public abstract string? LockContactSql { get; }

    /// <summary>Taken before appending events so that event ids become visible in increasing order, or
    /// null where writers are serialised already.</summary>
    public abstract string? LockEventLogSql { get; }

    /// <summary>True for a unique-key violation: a concurrent writer won a race and the write is retried.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>True when the database cannot be reached (as opposed to a bad statement).</summary>
    public abstract bool IsUnavailable(Exception exception);

    /// <summary>Creates or upgrades the schema.</summary>
    public abstract Task MigrateAsync(CancellationToken ct);
}
