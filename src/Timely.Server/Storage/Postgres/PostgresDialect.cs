using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using Dapper;
using Npgsql;

namespace Timely.Server.Storage.Postgres;

/// <summary>PostgreSQL, for several stateless replicas on one database. Writers of a conversation take
/// turns on a transaction-level advisory lock named after it, then read and write; after each commit
/// the other replicas are told (<see cref="PostgresChangeNotifier"/>, <see cref="PostgresChangeListener"/>).</summary>
/// <remarks>
/// The event log without a lock every writer takes. Event ids come from a sequence, so a transaction
/// can commit an event with a lower id after another one's higher id is visible: a reader that
/// remembered "up to id N" would skip it. Instead each event records the id of the transaction that
/// wrote it (<c>tx</c>, PostgreSQL's 64-bit xid8), the log is ordered by (tx, id), and readers read
/// only below the oldest transaction still running, <c>pg_snapshot_xmin(pg_current_snapshot())</c>:
/// every transaction below it has ended, and any transaction that writes later gets a higher xid, so
/// nothing can appear below a position once it has been read (the transactional-outbox technique).
/// Writers of different conversations never wait for each other; a long transaction only delays
/// delivery (to subscribers, not writers) until it ends. Writers of one conversation take its lock
/// before they write anything, and the lock needs no transaction id (a row lock, SELECT ... FOR UPDATE,
/// would assign one while waiting, in arrival order rather than lock order): each writer's id is
/// assigned after the previous writer committed, so a conversation's (tx, id) order is its sequence
/// order. A conversation's
/// workspace lives on one node when the tables are distributed by workspace: see docs/scaling.md.
/// </remarks>
public sealed class PostgresDialect(NpgsqlDataSource dataSource) : StoreDialect
{
    // An arbitrary constant that names the advisory lock of schema migrations.
    private const long MigrationLock = 0x7469_6d65_6c79_0002;

    private const string OldestRunningTransaction = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await dataSource.OpenConnectionAsync(ct);

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Npgsql sends BEGIN with the first statement: no round trip of its own.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(ct);
        return result;
    }

    public override async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    /// <summary>A write's statements as one <see cref="NpgsqlBatch"/> (one round trip) of statements with numbered
    /// parameters: Npgsql sends them as they are, without parsing the SQL and renaming parameters, and without
    /// Dapper's parameter objects (a batch of appends has hundreds of statements).</summary>
    public override async Task ExecuteAsync(StatementBatch batch, WriteTransaction write, CancellationToken ct)
    {
        await using var npgsql = new NpgsqlBatch((NpgsqlConnection)write.Connection, (NpgsqlTransaction)write.Transaction);
        foreach (var (statement, args) in batch.Statements)
        {
            var (sql, parameters) = StatementBatch.Numbered(statement, args);
            var command = new NpgsqlBatchCommand(sql);
            foreach (var (property, get) in parameters)
            {
                command.Parameters.Add(Parameter(property.PropertyType, get(args!)));
            }
            npgsql.BatchCommands.Add(command);
        }
        await npgsql.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A value as a positional parameter, as Dapper would bind it: an enum as its number, a null typed after its property.</summary>
    private static NpgsqlParameter Parameter(Type type, object? value) => value is not null
        ? new NpgsqlParameter { Value = value is Enum e ? Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture) : value }
        : new NpgsqlParameter
        {
            Value = DBNull.Value,
            NpgsqlDbType = (Nullable.GetUnderlyingType(type) ?? type) switch
            {
                var t when t == typeof(string) => NpgsqlTypes.NpgsqlDbType.Text,
                var t when t == typeof(long) => NpgsqlTypes.NpgsqlDbType.Bigint,
                var t when t == typeof(int) => NpgsqlTypes.NpgsqlDbType.Integer,
                var t when t == typeof(bool) => NpgsqlTypes.NpgsqlDbType.Boolean,
                var t when t == typeof(double) => NpgsqlTypes.NpgsqlDbType.Double,
                var t when t == typeof(byte[]) => NpgsqlTypes.NpgsqlDbType.Bytea,
                var t => throw new InvalidOperationException($"no PostgreSQL type for a null {t.Name}"),
            },
        };

    public override string? LockSql => "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended(@LockKey, 0))) AS locked";

    public override bool CommitsEachWriteAlone => true;

    public override string EventLogHeadSql => $"SELECT {OldestRunningTransaction} AS tx, 0::bigint AS id";

    public override string FinalEventsCondition => $" AND c.tx < {OldestRunningTransaction}";

    public override string? PendingEventsSql =>
        $"SELECT EXISTS (SELECT 1 FROM events WHERE workspace = @Workspace AND tx >= {OldestRunningTransaction})";

    public override string? CommittedAboveHeadSql =>
        $"SELECT id FROM events WHERE workspace = @Workspace AND tx >= {OldestRunningTransaction} ORDER BY tx, id LIMIT @Limit";

    // ARRAY(subquery) is an InitPlan, run once. As IN, with statistics not yet gathered for rows just written,
    // PostgreSQL planned a nested-loop semi join that ran the subquery again for every row of the outer scan:
    // 10,001 times, 6.5 s, for one batch of an erasure of 10,000 messages.
    public override string AnyOf(string column, string subquery) => $"{column} = ANY(ARRAY({subquery}))";

    public override ISearchSql Search { get; } = new PostgresSearchSql();

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
