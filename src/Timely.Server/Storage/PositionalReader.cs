using System.Data.Common;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>The results of one command of several statements, read in order, each row with its positional
/// reader (<see cref="ConversationRow.Read"/>): the hot reads of every write and of GetConversation. Dapper
/// reads the rest, by column name.</summary>
/// <remarks>Disposable only synchronously: Dapper's reader, disposed asynchronously, leaves its command
/// undisposed (Dapper 2.1.86), and Microsoft.Data.Sqlite keeps every command of a connection in a list that
/// each disposed command is searched in: on the writer's connection SendMessage ran at a third of its rate.</remarks>
internal sealed class PositionalReader(DbDataReader reader) : IDisposable
{
    public static async Task<PositionalReader> ExecuteAsync(DbConnection connection, CommandDefinition command) =>
        new(await connection.ExecuteReaderAsync(command));

    /// <summary>The current result's row (there is at most one: the statement reads by key), or null; then
    /// moves on to the next statement's result, or, after the last one, closes the reader, as Dapper does: the
    /// connection is free for the next command (Npgsql runs one at a time).</summary>
    public async Task<T?> SingleOrDefaultAsync<T>(Func<DbDataReader, T> read, CancellationToken ct)
        where T : class
    {
        var row = await reader.ReadAsync(ct) ? read(reader) : null;
        await NextAsync(ct);
        return row;
    }

    /// <summary>Skips the current result (a lock's).</summary>
    public Task SkipAsync(CancellationToken ct) => NextAsync(ct);

    public void Dispose() => reader.Dispose();

    private async Task NextAsync(CancellationToken ct)
    {
        if (!await reader.NextResultAsync(ct))
        {
            await reader.CloseAsync();
        }
    }
}
