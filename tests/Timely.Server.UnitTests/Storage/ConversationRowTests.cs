using System.Reflection;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Storage;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The positional reads of conversation rows (the hot reads) read what Dapper's mapping by column
/// name reads, on a real SQLite file with the real schema: every column set, and every nullable one null; and
/// the conversation's snapshot in an event row reads back as it was written.</summary>
public sealed class ConversationRowTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-rows-").FullName;
    private SqliteDialect dialect = null!;

    public async Task InitializeAsync()
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;   // as the server sets it (StorageSetup)
        dialect = new SqliteDialect(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(folder, "rows.db") } }),
            Examples.Metrics());
        await dialect.MigrateAsync(CancellationToken.None);
    }

    public static TheoryData<string> Rows => ["every column set", "every nullable column null"];

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task ReadsWhatDapperReadsByName(string which)
    {
        var row = which == "every column set" ? Full() : Sparse();
        await dialect.WriteAsync(async (c, tx) =>
        {
            var columns = StoreSql.ConversationColumns.Split(", ");
            var values = string.Join(", ", columns.Select(c => "@" + string.Concat(c.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]))));
            return await c.ExecuteAsync($"INSERT INTO conversations ({StoreSql.ConversationColumns}) VALUES ({values})", row, tx);
        }, CancellationToken.None);

        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        var parameters = new { row.Workspace, row.Id };
        var byName = await connection.QuerySingleAsync<ConversationRow>(StoreSql.GetConversation, parameters);
        using var reader = await PositionalReader.ExecuteAsync(connection, new CommandDefinition(StoreSql.GetConversation, parameters));
        var byPosition = await reader.SingleOrDefaultAsync(ConversationRow.Read, CancellationToken.None);

        Assert.Equal(JsonSerializer.Serialize(row), JsonSerializer.Serialize(byName));
        Assert.Equal(JsonSerializer.Serialize(byName), JsonSerializer.Serialize(byPosition));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void AnEventsSnapshotLeavesItsNullsOutAndReadsBackAsBefore(string which)
    {
        var conversation = (which == "every column set" ? Full() : Sparse()).ToDomain();
        var withNulls = JsonSerializer.Serialize(ConversationRow.From(conversation));   // how snapshots were written before
        var row = EventRow.From(conversation, new PendingEvent(ConversationEventType.Created), DateTimeOffset.UnixEpoch);

        Assert.DoesNotContain("null", row.Conversation);
        Assert.True(row.Conversation.Length < withNulls.Length, row.Conversation);
        Assert.Equal(withNulls, JsonSerializer.Serialize(ConversationRow.From(row.ToDomain(null).Conversation)));
        row.Conversation = withNulls;
        Assert.Equal(withNulls, JsonSerializer.Serialize(ConversationRow.From(row.ToDomain(null).Conversation)));
    }

    [Fact]
    public async Task CommandsDoNotPileUpOnTheConnection()
    {
        // Microsoft.Data.Sqlite lists a connection's commands and searches the list for each one disposed: a
        // command left undisposed per read (Dapper's reader disposed asynchronously) made the writer's
        // connection slower with every write, until a garbage collection.
        await using var connection = (SqliteConnection)await dialect.OpenAsync(CancellationToken.None);
        var commands = (System.Collections.IList)typeof(SqliteConnection)
            .GetField("_commands", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(connection)!;
        var before = commands.Count;
        for (var i = 0; i < 200; i++)
        {
            using var read = await PositionalReader.ExecuteAsync(connection, new CommandDefinition(
                "SELECT 1 AS a; " + StoreSql.GetConversation, new { Workspace = "ws", Id = "missing" }));
            Assert.NotNull(await read.SingleOrDefaultAsync(r => (object)r.GetInt64(0), CancellationToken.None));
            Assert.Null(await read.SingleOrDefaultAsync(ConversationRow.Read, CancellationToken.None));
        }
        Assert.InRange(commands.Count, 0, before + 2);   // the kept statement of the text, at most
    }

    private static ConversationRow Full() => new()
    {
        Id = Guid.NewGuid().ToString(), Workspace = "ws-full", AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(),
        ContactId = Guid.NewGuid().ToString(), Status = 2, AssignedTo = Guid.NewGuid().ToString(), Subject = "Where is my order?",
        Tags = """["vip","billing"]""", CreatedAt = 1_700_000_000_000_001, ClosedAt = 1_700_000_000_000_009, LastMessageAt = 1_700_000_000_000_005,
        ActivityAt = 1_700_000_000_000_005, LastSenderType = 3, LastSequence = 7, Version = 12, HandoffReason = 2, HandoffPriority = 3,
        HandoffSummary = "Refund over the limit", HandoffAt = 1_700_000_000_000_004,
        ReadHorizons = """[{"Type":1,"Id":"0f8fad5b-d9cb-469f-a165-70867728950e","Sequence":7,"At":1700000000000006}]""",
    };

    private static ConversationRow Sparse() => new()
    {
        Id = Guid.NewGuid().ToString(), Workspace = "ws-sparse", AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(),
        ContactId = Guid.NewGuid().ToString(), Status = 1, Subject = "", Tags = "[]", CreatedAt = 1_700_000_000_000_001,
        ActivityAt = 1_700_000_000_000_001, Version = 1,
    };

    public async Task DisposeAsync()
    {
        await dialect.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
