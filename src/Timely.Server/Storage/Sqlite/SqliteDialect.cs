using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Timely.Server.Observability;

namespace Timely.Server.Storage.Sqlite;

/// <summary>The embedded default: one SQLite file in WAL mode. Reads run concurrently on pooled
/// connections; writes go through <see cref="SqliteGroupCommit"/>, SQLite's single writer.</summary>
public sealed class SqliteDialect : StoreDialect, IAsyncDisposable
{
    private readonly string connectionString;
    private readonly SqliteGroupCommit writer;
    private readonly ConditionalWeakTable<DbConnection, Dictionary<string, SqliteCommand>> prepared = new();
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> configured = new();
    private readonly long memoryMapBytes;

    public SqliteDialect(IOptions<StorageOptions> options, TimelyMetrics metrics)
    {
        var sqlite = options.Value.Sqlite;
        var path = Path.GetFullPath(sqlite.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,   // also how long a statement waits for a lock held by another process
        }.ToString();
        memoryMapBytes = sqlite.MemoryMapBytes;
        writer = new SqliteGroupCommit(ct => OpenWriterAsync(sqlite.Synchronous, ct), metrics, beforeCommit: SqliteSearchSql.IndexNewMessages);
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        // A pooled connection keeps its handle, and the handle its settings: configured once, when new.
        var handle = connection.Handle!;
        if (!configured.TryGetValue(handle, out _))
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA mmap_size = {memoryMapBytes};";
            await pragma.ExecuteNonQueryAsync(ct);
            configured.TryAdd(handle, true);
        }
        return connection;
    }

    public override Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct) =>
        writer.WriteAsync(work, ct);

    // In process, a batch saves no round trip, but preparing a statement costs more than running it:
    // the writer connection keeps each statement prepared, and binds each statement's own parameters.
    public override Task ExecuteAsync(StatementBatch batch, WriteTransaction write, CancellationToken ct)
    {
        var commands = prepared.GetValue(write.Connection, _ => []);
        foreach (var (sql, args) in batch.Statements)
        {
            var parameters = StatementBatch.Parameters(args).ToList();
            if (!commands.TryGetValue(sql, out var command))
            {
                command = ((SqliteConnection)write.Connection).CreateCommand();
                command.CommandText = sql;
                command.Parameters.AddRange(parameters.Select(p => new SqliteParameter("@" + p.Name, null)).ToArray());
                commands[sql] = command;
            }
            command.Transaction = (SqliteTransaction)write.Transaction;
            for (var i = 0; i < parameters.Count; i++)
            {
                command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
            }
            command.ExecuteNonQuery();
        }
        return Task.CompletedTask;
    }

    // A deferred transaction takes its WAL snapshot at the first read and never the write lock.
    public override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override string? LockSql => null;

    // One writer: events commit in id order, so every committed event is final.
    public override string EventLogHeadSql => "SELECT 0 AS tx, COALESCE(MAX(id), 0) AS id FROM events";

    public override string FinalEventsCondition => "";

    public override string? PendingEventsSql => null;

    public override string? CommittedAboveHeadSql => null;

    // An uncorrelated IN is one ephemeral table, filled once.
    public override string AnyOf(string column, string subquery) => $"{column} IN ({subquery})";

    public override ISearchSql Search { get; } = new SqliteSearchSql();

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

    public ValueTask DisposeAsync() => writer.DisposeAsync();

    private async Task<SqliteConnection> OpenWriterAsync(SqliteSynchronous synchronous, CancellationToken ct)
    {
        var connection = (SqliteConnection)await OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        // NORMAL is durable in WAL mode except for the last commits on power loss; FULL syncs every commit
        // (one sync per group of writes, see SqliteGroupCommit). secure_delete: deleted and overwritten content
        // is zeroed in the file, so erased (DataLifecycle/) and redacted (issue 21) text leaves no trace.
        pragma.CommandText = $"PRAGMA synchronous = {(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")}; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }
}
