using Microsoft.Data.Sqlite;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The writer's VFS (<see cref="BufferedWalVfs"/>) on real files: a commit reaches the WAL in a tenth of
/// the write calls or fewer, other connections see every commit at once, and what a killed process leaves on disk (the files as they
/// are while its connection is still open) recovers to exactly the committed transactions, also when a transaction
/// rewrote frames it had already written.</summary>
public sealed class BufferedWalVfsTests : IDisposable
{
    private const string OnePagePerRow = "WITH RECURSIVE n (i) AS (SELECT $from UNION ALL SELECT i + 1 FROM n WHERE i < $to) " +
                                         "INSERT INTO filler (n, b) SELECT i, zeroblob(4000) FROM n";

    private readonly string folder = Directory.CreateTempSubdirectory("timely-wal-vfs-").FullName;

    [Fact]
    public void ACommitOfTwoHundredPagesTakesATenthOfTheWriteCallsAndEveryOtherConnectionSeesIt()
    {
        var path = Path.Combine(folder, "a #1 of 100% ?.db");   // what a URI must escape: the writer opens one
        using var writer = Open(BufferedWalVfs.DataSource(path));
        using var plain = Open(path);   // the default VFS, for comparison: two calls per frame
        using var reader = Open(path);

        var buffered = WriteCallsOf(() => Insert(writer, 1, 200));
        Assert.Equal(200L, Scalar(reader, "SELECT count(*) FROM filler"));
        var unbuffered = WriteCallsOf(() => Insert(plain, 201, 400));
        Assert.Equal(400L, Scalar(reader, "SELECT count(*) FROM filler"));

        Assert.True(unbuffered >= 400, $"the default VFS wrote 200 pages in {unbuffered} calls");
        Assert.True(buffered * 10 <= unbuffered, $"the buffered WAL wrote 200 pages in {buffered} calls");
        for (var from = 401; from < 1400; from += 100)
        {
            Insert(writer, from, from + 99);
            Assert.Equal((long)from + 99, Scalar(reader, "SELECT count(*) FROM filler"));
        }
        Assert.Equal("ok", Scalar(reader, "PRAGMA integrity_check"));
    }

    [Fact]
    public void WhatAKilledWriterLeavesOnDiskRecoversToItsCommitsEvenAfterFramesWereRewritten()
    {
        var path = Path.Combine(folder, "crash.db");
        using var writer = Open(BufferedWalVfs.DataSource(path));
        Execute(writer, "PRAGMA cache_size = 20");   // a transaction of more pages spills frames before its commit
        Insert(writer, 1, 100);

        using (var transaction = writer.BeginTransaction())
        {
            Insert(writer, 101, 300);
            // Rows written (and spilled) earlier in the transaction change again: SQLite rewrites their frames in
            // place and, at the commit, the checksums of every frame after the first rewritten one.
            Execute(writer, "UPDATE filler SET b = zeroblob(3900) WHERE n BETWEEN 101 AND 150");
            using (var uncommitted = Recovered(path, "uncommitted"))
            {
                Assert.Equal(100L, Scalar(uncommitted, "SELECT count(*) FROM filler"));
            }
            transaction.Commit();
        }
        using var recovered = Recovered(path, "committed");
        Assert.Equal(300L, Scalar(recovered, "SELECT count(*) FROM filler"));
        Assert.Equal(50L, Scalar(recovered, "SELECT count(*) FROM filler WHERE length(b) = 3900"));
        Assert.Equal("ok", Scalar(recovered, "PRAGMA integrity_check"));
    }

    /// <summary>The database and its WAL as a killed process leaves them (written, not synced), opened afresh: SQLite
    /// recovers the WAL up to its last commit frame whose checksums hold.</summary>
    private SqliteConnection Recovered(string path, string name)
    {
        var copy = Path.Combine(folder, $"{name}.db");
        File.Copy(path, copy);
        File.Copy(path + "-wal", copy + "-wal");
        return Open(copy);
    }

    private static SqliteConnection Open(string dataSource)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dataSource, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; " +
                            "CREATE TABLE IF NOT EXISTS filler (n INTEGER PRIMARY KEY, b BLOB NOT NULL)");
        return connection;
    }

    private static void Insert(SqliteConnection connection, int from, int to)
    {
        using var command = connection.CreateCommand();
        command.CommandText = OnePagePerRow;
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$to", to);
        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>The write system calls this thread made during <paramref name="write"/> (Linux: syscw of
    /// /proc/thread-self/io; SQLite writes on the calling thread).</summary>
    private static long WriteCallsOf(Action write)
    {
        var before = WriteCalls();
        write();
        return WriteCalls() - before;

        static long WriteCalls() => long.Parse(File.ReadLines("/proc/thread-self/io")
            .Single(line => line.StartsWith("syscw:", StringComparison.Ordinal))["syscw:".Length..].Trim());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
