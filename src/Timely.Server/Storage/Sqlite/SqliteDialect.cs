using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Timely.Server.Observability;

namespace Timely.Server.Storage.Sqlite;

/// <summary>The embedded default: one SQLite file in WAL mode. Reads run concurrently on a pool of open
/// connections (<see cref="SqliteReadConnections"/>); writes go through <see cref="SqliteGroupCommit"/>, SQLite's
/// single writer. Every connection keeps the statements it runs prepared (<see cref="PreparedStatementConnection"/>).</summary>
public sealed class SqliteDialect : StoreDialect, IAsyncDisposable
{
    private readonly string readerConnectionString;
    private readonly string writerConnectionString;
    private readonly SqliteGroupCommit writer;
    private readonly SqliteReadConnections readers;
    private readonly long memoryMapBytes;

    public SqliteDialect(IOptions<StorageOptions> options, TimelyMetrics metrics)
    {
        var sqlite = options.Value.Sqlite;
        var path = Path.GetFullPath(sqlite.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        readerConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,   // the read pool and the writer keep their connections open (SqliteReadConnections)
            DefaultTimeout = 30,   // also how long a statement waits for a lock held by another process
        }.ToString();
        // The writer's WAL frames go to the file in a few write calls per commit, not two per frame (BufferedWalVfs).
        writerConnectionString = new SqliteConnectionStringBuilder(readerConnectionString) { DataSource = BufferedWalVfs.DataSource(path) }.ToString();
        memoryMapBytes = sqlite.MemoryMapBytes;
        readers = new SqliteReadConnections(path, (release, ct) => OpenConnectionAsync(readerConnectionString, release, ct));
        writer = new SqliteGroupCommit(ct => OpenWriterAsync(sqlite.Synchronous, ct), metrics, beforeCommit: SqliteSearchSql.IndexNewMessages);
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await readers.OpenAsync(ct);

    public override Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct) =>
        writer.WriteAsync(work, ct);

    // In process, a batch saves no round trip: each statement runs on its own, prepared once by the writer's
    // connection (PreparedStatementConnection; writes on SQLite's own API, see WriteStatement). Reads as writes:
    internal override Task<PositionalReader> QueryAsync(StatementBatch reads, WriteTransaction write, CancellationToken ct) =>
        PositionalReader.StatementsAsync(reads, write, ct);

    public override Task ExecuteAsync(StatementBatch batch, WriteTransaction write, CancellationToken ct)
    {
        var connection = (PreparedStatementConnection)write.Connection;
        foreach (var (sql, args) in batch.Statements)
        {
            if (connection.TryExecute(sql, args))
            {
                continue;
            }
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = (SqliteTransaction)write.Transaction;
            foreach (var parameter in StatementBatch.Parameters(args))
            {
                command.Parameters.AddWithValue("@" + parameter.Name, parameter.Value ?? DBNull.Value);
            }
            command.ExecuteNonQuery();
        }
        return Task.CompletedTask;
    }

    // A deferred transaction takes its WAL snapshot at the first read and never the write lock.
    public override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override string? LockSql => null;

    public override bool CommitsEachWriteAlone => false;

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
        await using var connection = await OpenConnectionAsync(readerConnectionString, release: null, ct);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(ct);
        }
        await Migrations.ApplyAsync(connection, typeof(SqliteDialect).Namespace + ".Migrations", ct);
    }

    public async ValueTask DisposeAsync()
    {
        await writer.DisposeAsync();
        readers.Dispose();
    }

    /// <summary>Opens a connection with the settings every connection gets. Disposing it calls <paramref name="release"/>
    /// (the read pool's) when there is one, and closes it otherwise.</summary>
    private async Task<PreparedStatementConnection> OpenConnectionAsync(string connectionString, Action<PreparedStatementConnection>? release, CancellationToken ct)
    {
        var connection = new PreparedStatementConnection(connectionString, release);
        try
        {
            await connection.OpenAsync(ct);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA mmap_size = {memoryMapBytes};";
            await pragma.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            connection.CloseForGood();
            throw;
        }
    }

    /// <summary>The writer copies the WAL into the database file (a checkpoint, which also syncs both files) once
    /// the WAL holds this many pages, not SQLite's default 1,000. A group of writes over many conversations rewrites
    /// some hundred pages (each conversation's page of the message index, the log's last pages), most of them
    /// rewritten again by the next groups: a checkpoint copies each page once, however many commits changed it since
    /// the last one. Measured (bench/README.md, 2026-12-03 (mid-morning)): 13-17 % fewer bytes written per message
    /// over 64 and 2,048 conversations, SendMessage over 64 1.17-1.28x (geometric means of four runs). The WAL file
    /// grows to about 40 MB and is then written again from its start.</summary>
    internal const int CheckpointPages = 10_000;

    /// <summary>A WAL that grew past this (a checkpoint held back by a long read) is cut back to it once
    /// checkpointed, instead of keeping its largest size on disk.</summary>
    internal const long WalSizeLimitBytes = 64L << 20;

    private async Task<SqliteConnection> OpenWriterAsync(SqliteSynchronous synchronous, CancellationToken ct)
    {
        var connection = await OpenConnectionAsync(writerConnectionString, release: null, ct);
        await using var pragma = connection.CreateCommand();
        // NORMAL is durable in WAL mode except for the last commits on power loss; FULL syncs every commit
        // (one sync per group of writes, see SqliteGroupCommit). secure_delete: deleted and overwritten content
        // is zeroed in the file, so erased (DataLifecycle/) and redacted (issue 21) text leaves no trace.
        pragma.CommandText = $"PRAGMA synchronous = {(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")}; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; " +
            $"PRAGMA wal_autocheckpoint = {CheckpointPages}; PRAGMA journal_size_limit = {WalSizeLimitBytes};";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }
}
