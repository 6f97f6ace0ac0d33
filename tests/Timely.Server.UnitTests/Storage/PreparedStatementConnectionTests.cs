using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using SQLitePCL;
using Timely.Server.Storage;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>SQLite's read connections keep their statements prepared and stay open between reads
/// (<see cref="PreparedStatementConnection"/>, <see cref="SqliteReadConnections"/>), on a real database file.</summary>
public sealed class PreparedStatementConnectionTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-prepared-").FullName;
    private SqliteDialect dialect = null!;

    public async Task InitializeAsync()
    {
        dialect = new SqliteDialect(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(folder, "timely.db") } }), Examples.Metrics());
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL); " +
                                      "INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');");
    }

    [Fact]
    public async Task AQueryRunAgainRunsOnTheStatementPreparedTheFirstTimeWithItsOwnParameters()
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        const string sql = "SELECT name FROM items WHERE id = @Id";
        var before = StatementMemory(connection);
        Assert.Equal("one", await connection.QuerySingleAsync<string>(sql, new { Id = 1 }));
        var prepared = StatementMemory(connection);

        Assert.Equal("two", await connection.QuerySingleAsync<string>(sql, new { Id = 2 }));
        Assert.Equal("three", await connection.QuerySingleAsync<string>(sql, new { Id = 3 }));
        Assert.Null(await connection.QuerySingleOrDefaultAsync<string>(sql, new { Id = 4 }));
        Assert.True(prepared > before);   // kept after the call (Microsoft.Data.Sqlite alone finalizes it with its command)
        Assert.Equal(prepared, StatementMemory(connection));
    }

    [Fact]
    public async Task AStatementWhoseReaderIsStillOpenRunsAgainOnAStatementOfItsOwn()
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        const string sql = "SELECT id FROM items WHERE id >= @From ORDER BY id";
        var pairs = new List<(long Outer, long Inner)>();
        await using (var outer = await connection.ExecuteReaderAsync(sql, new { From = 2 }))
        {
            while (await outer.ReadAsync())
            {
                // The same text while the first reader is open: not the same statement, not its parameters.
                var inner = (await connection.QueryAsync<long>(sql, new { From = 3 })).ToList();
                pairs.AddRange(inner.Select(i => (outer.GetInt64(0), i)));
            }
        }
        Assert.Equal([(2L, 3L), (3L, 3L)], pairs);
    }

    [Fact]
    public async Task ManyDifferentTextsAllRunWhenTheConnectionKeepsNoMoreStatements()
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        var kept = 0L;
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(i, await connection.QuerySingleAsync<long>($"SELECT {i} + 0 * @Id", new { Id = 1 }));
            if (i == 200)
            {
                kept = StatementMemory(connection);
            }
        }
        Assert.Equal(kept, StatementMemory(connection));
    }

    [Fact]
    public async Task AReadConnectionGivenBackIsTheNextReadsAndOneLeftInATransactionIsNot()
    {
        System.Data.Common.DbConnection first;
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        {
            first = connection;
        }
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        {
            Assert.Same(first, connection);
            // Given back with its transaction still open (a bug elsewhere): closed, not kept.
            _ = await dialect.BeginSnapshotAsync(connection, CancellationToken.None);
        }
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        {
            Assert.NotSame(first, connection);
            Assert.Equal("one", await connection.QuerySingleAsync<string>("SELECT name FROM items WHERE id = 1"));
        }
    }

    [Fact]
    public async Task AnIdleConnectionIsNotHandedOutOnceItsDatabaseFileIsGone()
    {
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        {
            Assert.Equal(3, await connection.QuerySingleAsync<long>("SELECT COUNT(*) FROM items"));
        }
        // Moved away, the file stays readable through a connection opened before: the pool must not use one.
        var moved = folder + ".away";
        Directory.Move(folder, moved);
        await File.WriteAllTextAsync(folder, "not a folder");
        try
        {
            // The pool looks at the path again once the last look is older than its interval.
            await Task.Delay(SqliteReadConnections.PathCheckInterval + TimeSpan.FromMilliseconds(50));
            var error = await Assert.ThrowsAsync<SqliteException>(() => dialect.OpenAsync(CancellationToken.None));
            Assert.True(dialect.IsUnavailable(error));
        }
        finally
        {
            File.Delete(folder);
            Directory.Move(moved, folder);
        }
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        {
            Assert.Equal(3, await connection.QuerySingleAsync<long>("SELECT COUNT(*) FROM items"));
        }
    }

    public async Task DisposeAsync()
    {
        await dialect.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    // SQLITE_DBSTATUS_STMT_USED: the memory of the connection's prepared statements.
    private static long StatementMemory(System.Data.Common.DbConnection connection)
    {
        raw.sqlite3_db_status(((SqliteConnection)connection).Handle!, 3, out var used, out _, 0);
        return used;
    }
}
