using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using Dapper;
using Npgsql;

namespace Timely.Server.Storage.Postgres;

/// <summary>PostgreSQL, for several stateless replicas on one database. Writers lock the rows they
/// change (SELECT ... FOR UPDATE) instead of reading then writing, and every change notifies the other
/// replicas (LISTEN/NOTIFY, see <see cref="PostgresChangeListener"/>) in its own transaction.</summary>
public sealed class PostgresDialect(NpgsqlDataSource dataSource) : StoreDialect
{
    public const string ChangeChannel = "timely_changes";

    // Arbitrary constants that name the two advisory locks of this schema.
    private const long EventLogLock = 0x7469_6d65_6c79_0001;
    private const long MigrationLock = 0x7469_6d65_6c79_0002;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await dataSource.OpenConnectionAsync(ct);

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(ct);
        return result;
    }

    public override async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    public override string? NotifySql => $"SELECT pg_notify('{ChangeChannel}', @Payload)";

    public override string ForUpdate => " FOR UPDATE";

    public override string? LockContactSql => "SELECT pg_advisory_xact_lock(hashtextextended(@Key, 0))";

    // Held to commit: transactions that append events commit one after another, so an event id is
    // never visible before a smaller one, and a cursor never skips an event committed late.
    public override string? LockEventLogSql => $"SELECT pg_advisory_xact_lock({EventLogLock})";

    public override bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException e => e.SqlState.StartsWith("08", StringComparison.Ordinal)   // connection exceptions
            || e.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlException e => e.IsTransient || e.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        _ => false,
    };

    public override async Task MigrateAsync(CancellationToken ct)
    {
        // Replicas starting together take turns; the second finds the work done.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_advisory_lock({MigrationLock})", cancellationToken: ct));
        try
        {
            await Migrations.ApplyAsync(connection, typeof(PostgresDialect).Namespace + ".Migrations", ct);
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_advisory_unlock({MigrationLock})", cancellationToken: CancellationToken.None));
        }
    }
}
