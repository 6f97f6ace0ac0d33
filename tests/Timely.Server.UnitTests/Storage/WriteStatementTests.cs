using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Timely.Server.Storage;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The writer's statements on SQLite's own API (<see cref="WriteStatement"/>) store what the same statement
/// stores through a Microsoft.Data.Sqlite command, fail as it fails, and leave to a command what they do not bind;
/// on a real database file, through the dialect's <see cref="SqliteDialect.ExecuteAsync"/>.</summary>
public sealed class WriteStatementTests : IAsyncLifetime
{
    private const string Insert = "INSERT INTO vals (id, text, empty, number, small, flag, bytes, no_bytes, absent) " +
                                  "VALUES (@Id, @Text, @Empty, @Number, @Small, @Flag, @Bytes, @NoBytes, @Absent)";

    private readonly string folder = Directory.CreateTempSubdirectory("timely-write-statements-").FullName;
    private SqliteDialect dialect = null!;

    public async Task InitializeAsync()
    {
        dialect = new SqliteDialect(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(folder, "timely.db") } }), Examples.Metrics());
        await dialect.MigrateAsync(CancellationToken.None);   // every commit indexes new messages (the schema's)
        await WriteAsync((c, tx) => c.ExecuteAsync(
            "CREATE TABLE vals (id INTEGER PRIMARY KEY, text TEXT, empty TEXT, number INTEGER, small INTEGER, flag INTEGER, " +
            "bytes BLOB, no_bytes BLOB, absent TEXT, other BLOB)", transaction: tx));
    }

    [Fact]
    public async Task EachValueIsStoredAsACommandStoresIt()
    {
        static object Row(long id) => new
        {
            Id = id, Text = "héllo ✓ \u0000 after a nul", Empty = "", Number = long.MinValue, Small = -7, Flag = true,
            Bytes = new byte[] { 0, 1, 255 }, NoBytes = Array.Empty<byte>(), Absent = (string?)null,
        };
        var written = await WriteAsync((c, tx) => Task.FromResult(((PreparedStatementConnection)c).TryExecute(Insert, Row(1))));
        await WriteAsync((c, tx) => c.ExecuteAsync(Insert, Row(2), tx));   // Dapper: a Microsoft.Data.Sqlite command

        Assert.True(written);
        var rows = (await WriteAsync((c, tx) => c.QueryAsync<string>(
            "SELECT concat_ws('|', typeof(text), quote(text), typeof(empty), quote(empty), typeof(number), number, typeof(small), small, " +
            "typeof(flag), flag, typeof(bytes), quote(bytes), typeof(no_bytes), quote(no_bytes), typeof(absent)) FROM vals ORDER BY id",
            transaction: tx))).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[1], rows[0]);
        Assert.StartsWith("text|", rows[0]);
        Assert.Contains("|text|''|", rows[0]);   // empty text, not NULL
        Assert.EndsWith("|blob|X''|null", rows[0]);
    }

    [Fact]
    public async Task AUniqueViolationFailsAsSqliteReportsItAndTheStatementRunsAgainAfterIt()
    {
        object Row(long id) => new { Id = id, Text = "x", Empty = "", Number = 1L, Small = 1, Flag = false, Bytes = (byte[]?)null, NoBytes = (byte[]?)null, Absent = "y" };
        await ExecuteAsync(Insert, Row(1));

        var error = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(Insert, Row(1)));
        await ExecuteAsync(Insert, Row(2));

        Assert.Equal(19, error.SqliteErrorCode);   // SQLITE_CONSTRAINT
        Assert.Equal(1555, error.SqliteExtendedErrorCode);   // SQLITE_CONSTRAINT_PRIMARYKEY
        Assert.True(dialect.IsUniqueViolation(error));
        Assert.Equal([1L, 2L], await WriteAsync((c, tx) => c.QueryAsync<long>("SELECT id FROM vals ORDER BY id", transaction: tx)));
    }

    [Fact]
    public async Task AnArgumentOfAnotherTypeRunsAsACommandAndStoresWhatItStores()
    {
        var id = Guid.NewGuid();
        const string sql = "INSERT INTO vals (id, other) VALUES (@Id, @Other)";

        var written = await WriteAsync((c, tx) => Task.FromResult(((PreparedStatementConnection)c).TryExecute(sql, new { Id = 1L, Other = id })));
        await ExecuteAsync(sql, new { Id = 2L, Other = id });
        await WriteAsync((c, tx) => c.ExecuteAsync(sql, new { Id = 3L, Other = id }, tx));   // Dapper: a Microsoft.Data.Sqlite command

        Assert.False(written);
        var stored = (await WriteAsync((c, tx) => c.QueryAsync<string>("SELECT quote(other) FROM vals ORDER BY id", transaction: tx))).ToList();
        Assert.Equal(2, stored.Count);
        Assert.Equal(stored[1], stored[0]);
    }

    [Fact]
    public async Task AParameterWithoutAValueFailsAsACommandFails()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ExecuteAsync("INSERT INTO vals (id, text) VALUES (@Id, @Missing)", new { Id = 1L }));

        Assert.Contains("@Missing", error.Message);
    }

    [Fact]
    public async Task EveryStatementOfATextRuns()
    {
        await ExecuteAsync("INSERT INTO vals (id, text) VALUES (@Id, @Text); UPDATE vals SET number = @Id * 10 WHERE id = @Id; -- and a comment", new { Id = 3L, Text = "t" });

        Assert.Equal(30L, await WriteAsync((c, tx) => c.QuerySingleAsync<long>("SELECT number FROM vals WHERE id = 3", transaction: tx)));
    }

    public async Task DisposeAsync()
    {
        await dialect.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    private Task ExecuteAsync(string sql, object args) => WriteAsync(async (c, tx) =>
    {
        await dialect.ExecuteAsync(new StatementBatch().Add(sql, args), new WriteTransaction(c, tx, new HashSet<ConversationRef>()), CancellationToken.None);
        return 0;
    });

    private Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work) => dialect.WriteAsync(work, CancellationToken.None);
}
