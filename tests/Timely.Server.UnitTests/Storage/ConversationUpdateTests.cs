using Dapper;
using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Storage;
using Timely.Server.Storage.Sqlite;
using static Timely.Server.UnitTests.Examples;

namespace Timely.Server.UnitTests.Storage;

/// <summary>Which indexes of conversations the row's UPDATE rewrites (<see cref="ConversationStore.SaveRow"/>), read
/// from SQLite's own program for the statement (EXPLAIN: the b-trees it inserts index entries into) on a real file with the
/// real schema. SQLite rewrites the entry of every index holding a column the statement sets, changed or not; on
/// the single writer each is a page per conversation per group (bench/README.md, 2026-12-04 (evening)).</summary>
public sealed class ConversationUpdateTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-update-").FullName;
    private SqliteDialect dialect = null!;

    public async Task InitializeAsync()
    {
        dialect = new SqliteDialect(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(folder, "update.db") } }),
            Examples.Metrics());
        await dialect.MigrateAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AMessageRewritesOnlyTheIndexesOrderedByActivity()
    {
        var before = Conversation(lastSequence: 3);
        var rewritten = await RewrittenAsync(before, Lifecycle.Append(before, Text(SenderType.Customer), Now).Change);

        Assert.Equal(await IndexesAsync(sql => sql.Contains("activity_at")), rewritten);
        Assert.DoesNotContain("ix_conversations_channel", rewritten);
        Assert.DoesNotContain("ix_conversations_closed", rewritten);
    }

    [Fact]
    public async Task AnInternalNoteRewritesNoIndex()
    {
        var before = Conversation(lastSequence: 3);
        var note = Text(SenderType.HumanAgent, FirstHuman) with { Visibility = MessageVisibility.Internal };

        Assert.Empty(await RewrittenAsync(before, Lifecycle.Append(before, note, Now).Change));
    }

    [Fact]
    public async Task AMessageThatMovesTheStatusRewritesTheStatusIndexesToo()
    {
        var before = Conversation(ConversationStatus.Waiting, lastSequence: 3);
        var (_, change) = Lifecycle.Append(before, Text(SenderType.Customer), Now);
        Assert.Equal(ConversationStatus.Open, change.After.Status);

        var rewritten = await RewrittenAsync(before, change);

        Assert.Contains("ix_conversations_channel", rewritten);
        Assert.Contains("ix_conversations_closed", rewritten);
        Assert.Contains("ix_conversations_status", rewritten);
    }

    /// <summary>The indexes of conversations the UPDATE that saves <paramref name="change"/> writes an entry into.</summary>
    private async Task<List<string>> RewrittenAsync(Conversation before, ConversationChange change)
    {
        var batch = new StatementBatch();
        ConversationStore.SaveRow(batch, before, change.After with { Version = before.Version + 1 });
        var (sql, args) = Assert.Single(batch.Statements);
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        var program = (await connection.QueryAsync<(long Address, string Opcode, long P1, long P2)>("EXPLAIN " + sql, args)).ToList();
        var insertedInto = program.Where(op => op.Opcode == "IdxInsert").Select(op => op.P1).ToHashSet();   // cursors
        var written = program.Where(op => op.Opcode == "OpenWrite" && insertedInto.Contains(op.P1)).Select(op => op.P2).ToHashSet();   // their b-trees' root pages
        var indexes = await connection.QueryAsync<(string Name, long RootPage)>(
            "SELECT name, rootpage FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'conversations' ORDER BY name");
        return indexes.Where(i => written.Contains(i.RootPage)).Select(i => i.Name).ToList();
    }

    private async Task<List<string>> IndexesAsync(Func<string, bool> definition)
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        var indexes = await connection.QueryAsync<(string Name, string Sql)>(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'conversations' AND sql IS NOT NULL ORDER BY name");
        return indexes.Where(i => definition(i.Sql)).Select(i => i.Name).ToList();
    }

    public async Task DisposeAsync()
    {
        await dialect.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
