using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Options;
using Timely.Server.Storage;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The full-text index of messages on SQLite (migration 0011), on a real database file: each group of
/// writes indexes its new messages before it commits, and edits and deletions of messages written in the same
/// group, not yet indexed, leave the index exact (FTS5's integrity check compares it with the messages).</summary>
public sealed class SqliteMessageIndexTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-index-").FullName;
    private SqliteDialect dialect = null!;

    public async Task InitializeAsync()
    {
        dialect = new SqliteDialect(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(folder, "index.db") } }),
            Examples.Metrics());
        await dialect.MigrateAsync(CancellationToken.None);
    }

    [Fact]
    public async Task MessagesEditedOrDeletedInTheGroupThatWroteThemAreIndexedAsTheyAreAtItsCommit()
    {
        await WriteAsync(async (c, tx) =>
        {
            await InsertAsync(c, tx, "a", "alpha first");
            await InsertAsync(c, tx, "b", "bravo");
            await c.ExecuteAsync("UPDATE messages SET content = 'alpha second' WHERE id = 'a'", transaction: tx);
            await c.ExecuteAsync("DELETE FROM messages WHERE id = 'b'", transaction: tx);
        });
        Assert.Equal(["a"], await FindAsync("alpha"));
        Assert.Equal(["a"], await FindAsync("second"));
        Assert.Empty(await FindAsync("first"));
        Assert.Empty(await FindAsync("bravo"));
        await AssertIndexIsExactAsync();

        // The newest indexed message deleted, then a new one in the same group: it takes the freed rowid.
        await WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("DELETE FROM messages WHERE id = 'a'", transaction: tx);
            await InsertAsync(c, tx, "c", "charlie");
        });
        Assert.Empty(await FindAsync("alpha"));
        Assert.Equal(["c"], await FindAsync("charlie"));
        await AssertIndexIsExactAsync();

        // An indexed message edited in a later group.
        await WriteAsync((c, tx) => c.ExecuteAsync("UPDATE messages SET content = 'delta' WHERE id = 'c'", transaction: tx));
        Assert.Empty(await FindAsync("charlie"));
        Assert.Equal(["c"], await FindAsync("delta"));
        await AssertIndexIsExactAsync();
    }

    private Task WriteAsync(Func<DbConnection, DbTransaction, Task> work) =>
        dialect.WriteAsync(async (c, tx) =>
        {
            await work(c, tx);
            return true;
        }, CancellationToken.None);

    private static Task InsertAsync(DbConnection c, DbTransaction tx, string id, string content) =>
        c.ExecuteAsync("INSERT INTO messages (id, conversation_id, workspace, sequence, sender_type, content, message_type, media_url, media_type, metadata, created_at) " +
                       "VALUES (@Id, 'conversation', 'workspace', (SELECT COALESCE(MAX(sequence), 0) + 1 FROM messages), 1, @Content, 1, '', '', '{}', 0)",
            new { Id = id, Content = content }, tx);

    private async Task<string[]> FindAsync(string word)
    {
        await using var c = await dialect.OpenAsync(CancellationToken.None);
        return [.. await c.QueryAsync<string>(
            "SELECT m.id FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid WHERE messages_fts MATCH @Word ORDER BY m.id",
            new { Word = word })];
    }

    /// <summary>FTS5's integrity check, against the messages table (rank 1): it fails on a missing or stale entry.</summary>
    private async Task AssertIndexIsExactAsync()
    {
        await using var c = await dialect.OpenAsync(CancellationToken.None);
        await c.ExecuteAsync("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
    }

    public async Task DisposeAsync()
    {
        await dialect.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
