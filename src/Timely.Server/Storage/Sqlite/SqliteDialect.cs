using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Timely.Server.Storage.Sqlite;

/// <summary>The embedded default: one SQLite file in WAL mode. SQLite has a single writer, so writes
/// are serialised in-process by a gate (no busy-waiting on the file lock); reads run concurrently.</summary>
public sealed class SqliteDialect : StoreDialect
{
    private readonly string connectionString;
    private readonly SemaphoreSlim writeGate = new(1, 1);

    public SqliteDialect(IOptions<StorageOptions> options)
    {
        var path = Path.GetFullPath(options.Value.Sqlite.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        // Per-connection settings. NORMAL is durable in WAL mode except for the last commits on power loss.
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await writeGate.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            // Microsoft.Data.Sqlite begins IMMEDIATE unless asked for a deferred transaction.
            await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(CancellationToken.None);
            return result;
        }
        finally
        {
            writeGate.Release();
        }
    }

    // A deferred transaction takes its WAL snapshot at the first read and never the write lock.
    public override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override string? NotifySql => null;

    public override string ForUpdate => "";

    public override string? LockContactSql => null;

    public override string? LockEventLogSql => null;

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 1555 or 2067 };

    public override bool IsUnavailable(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 };

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(ct);
        }
        await Migrations.ApplyAsync(connection, typeof(SqliteDialect).Namespace + ".Migrations", ct);
    }
}
