using Microsoft.Extensions.Options;
using Timely.Server.Storage;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The settings every SQLite connection gets, and the writer's checkpoints, on a real database file.</summary>
public sealed class SqliteDialectTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-dialect-").FullName;

    [Theory]
    [InlineData(64L << 20)]
    [InlineData(0L)]
    public async Task EveryReadConnectionMapsTheConfiguredSize(long bytes)
    {
        var options = new StorageOptions { Sqlite = { Path = Path.Combine(folder, $"map-{bytes}.db"), MemoryMapBytes = bytes } };
        await using var dialect = new SqliteDialect(Options.Create(options),
            Examples.Metrics());
        // The second and third opens reuse a pooled connection, configured once when it was new.
        for (var open = 0; open < 3; open++)
        {
            await using var connection = await dialect.OpenAsync(CancellationToken.None);
            await using var read = connection.CreateCommand();
            read.CommandText = "PRAGMA mmap_size";
            Assert.Equal(bytes, (long)(await read.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task TheWriterCheckpointsTheWalOnlyPastItsThresholdAndThenReusesIt()
    {
        var path = Path.Combine(folder, "checkpoint.db");
        await using var dialect = new SqliteDialect(Options.Create(new StorageOptions { Sqlite = { Path = path } }), Examples.Metrics());
        await dialect.MigrateAsync(CancellationToken.None);
        // Each row fills a page of its own: a transaction of N rows adds N pages (and a few more) to the WAL.
        const int rowsPerWrite = 500;
        await WriteAsync("CREATE TABLE filler (b BLOB NOT NULL)");
        var insertPages = $"WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rowsPerWrite}) " +
            "INSERT INTO filler (b) SELECT zeroblob(4000) FROM n";
        var databaseBytes = new FileInfo(path).Length;
        var frameBytes = 4096 + 24;

        // Below the threshold nothing is copied into the database file: SQLite's default (1,000 pages) would have.
        var belowThreshold = (SqliteDialect.CheckpointPages - 2 * rowsPerWrite) / rowsPerWrite;
        for (var i = 0; i < belowThreshold; i++)
        {
            await WriteAsync(insertPages);
        }
        Assert.Equal(databaseBytes, new FileInfo(path).Length);
        Assert.True(new FileInfo(path + "-wal").Length > (long)belowThreshold * rowsPerWrite * frameBytes);

        // Past it, the commit checkpoints; the writes after it go to the WAL's start again, which stops growing.
        for (var i = 0; i < 2 * belowThreshold; i++)
        {
            await WriteAsync(insertPages);
        }
        Assert.True(new FileInfo(path).Length > (long)belowThreshold * rowsPerWrite * 4096);
        Assert.True(new FileInfo(path + "-wal").Length < (long)(SqliteDialect.CheckpointPages + 2 * rowsPerWrite) * frameBytes);

        Task WriteAsync(string sql) => dialect.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            return await command.ExecuteNonQueryAsync();
        }, CancellationToken.None);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
