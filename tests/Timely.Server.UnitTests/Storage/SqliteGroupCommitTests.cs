using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>Group commit on a real SQLite file: writes queued behind a busy writer share one group, and a
/// write that fails fails alone, whether it changed rows before failing or not.</summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-group-").FullName;
    private SqliteGroupCommit writer = null!;

    public async Task InitializeAsync()
    {
        await using var setup = await OpenAsync(CancellationToken.None);
        await setup.ExecuteAsync("PRAGMA journal_mode = WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
        writer = new SqliteGroupCommit(OpenAsync,
            Examples.Metrics());
    }

    [Fact]
    public async Task ARefusalThatChangedNothingFailsAloneAndTheOthersRunOnce()
    {
        var (first, second) = (new Counted(1), new Counted(2));
        var results = await InOneGroupAsync(first.Insert, Refuse, second.Insert);

        Assert.Equal(1, await results[0]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => results[1]);
        Assert.Equal(2, await results[2]);
        Assert.Equal((1, 1), (first.Runs, second.Runs));   // no second run of the group
        Assert.Equal(new long[] { 0, 1, 2 }, await IdsAsync());
    }

    [Fact]
    public async Task AWriteThatFailsAfterWritingLeavesNothingAndTheOthersAreCommitted()
    {
        var (first, second) = (new Counted(1), new Counted(2));
        var results = await InOneGroupAsync(first.Insert, InsertThenCollide, second.Insert);

        Assert.Equal(1, await results[0]);
        await Assert.ThrowsAsync<SqliteException>(() => results[1]);
        Assert.Equal(2, await results[2]);
        // The group ran again, each write in a savepoint: the first write twice, the last only then.
        Assert.Equal((2, 1), (first.Runs, second.Runs));
        Assert.Equal(new long[] { 0, 1, 2 }, await IdsAsync());       // and row 3 of the failed write is not there
    }

    /// <summary>Queues <paramref name="writes"/> while the writer is held by a first write, so they make one group.</summary>
    private async Task<Task<long>[]> InOneGroupAsync(params Func<DbConnection, DbTransaction, Task<long>>[] writes)
    {
        var (started, release) = (new TaskCompletionSource(), new TaskCompletionSource());
        var holder = writer.WriteAsync(async (c, tx) =>
        {
            started.SetResult();
            await release.Task;
            return await InsertAsync(c, tx, 0);
        }, CancellationToken.None);
        await started.Task;
        var results = writes.Select(w => writer.WriteAsync(w, CancellationToken.None)).ToArray();
        release.SetResult();
        Assert.Equal(0, await holder);
        return results;
    }

    private static Task<long> Refuse(DbConnection c, DbTransaction tx) => throw new InvalidOperationException("refused");

    private static async Task<long> InsertThenCollide(DbConnection c, DbTransaction tx)
    {
        await InsertAsync(c, tx, 3);
        return await c.ExecuteScalarAsync<long>("INSERT INTO rows (id, name) VALUES (4, 'row 1') RETURNING id", transaction: tx);
    }

    private static Task<long> InsertAsync(DbConnection c, DbTransaction tx, long id) =>
        c.ExecuteScalarAsync<long>("INSERT INTO rows (id, name) VALUES (@Id, 'row ' || @Id) RETURNING id", new { Id = id }, tx);

    private async Task<long[]> IdsAsync()
    {
        await using var c = await OpenAsync(CancellationToken.None);
        return [.. await c.QueryAsync<long>("SELECT id FROM rows ORDER BY id")];
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "group.db")};Pooling=False");
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <summary>A write inserting one row, counting how often it ran.</summary>
    private sealed class Counted(long id)
    {
        public int Runs { get; private set; }

        public Task<long> Insert(DbConnection c, DbTransaction tx)
        {
            Runs++;
            return InsertAsync(c, tx, id);
        }
    }

    public async Task DisposeAsync()
    {
        await writer.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
