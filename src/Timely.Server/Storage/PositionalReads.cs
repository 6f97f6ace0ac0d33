using System.Data.Common;

namespace Timely.Server.Storage;

/// <summary>The results of one command of several statements, read in order with a row's positional reader
/// (<see cref="ConversationRow.Read"/>): the hot reads of every write and of GetConversation. Dapper reads the
/// rest, by column name.</summary>
internal static class PositionalReads
{
    /// <summary>The current result's row (there is at most one: the statement reads by key), or null; then
    /// moves on to the next statement's result, or, after the last one, closes the reader, as Dapper does: the
    /// connection is free for the next command (Npgsql runs one at a time).</summary>
    public static async Task<T?> SingleOrDefaultAsync<T>(this DbDataReader reader, Func<DbDataReader, T> read, CancellationToken ct)
        where T : class
    {
        var row = await reader.ReadAsync(ct) ? read(reader) : null;
        if (!await reader.NextResultAsync(ct))
        {
            await reader.CloseAsync();
        }
        return row;
    }
}
