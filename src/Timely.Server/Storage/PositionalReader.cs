using System.Data.Common;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>The results of one command of several statements, read in order, each row with its positional
/// reader (<see cref="ConversationRow.Read"/>): the hot reads of every write and of GetConversation. Dapper
/// reads the rest, by column name.</summary>
/// <remarks>Disposable only synchronously: Dapper's reader, disposed asynchronously, leaves its command
/// undisposed (Dapper 2.1.86), and Microsoft.Data.Sqlite keeps every command of a connection in a list that
/// each disposed command is searched in: on the writer's connection SendMessage ran at a third of its rate.</remarks>
internal sealed class PositionalReader : IDisposable
{
    private DbDataReader reader;
    // Each statement as a command of its own (StatementsAsync), or null: all in the one command of the reader.
    private readonly Func<int, Task<DbDataReader>>? execute;
    private readonly int statements;
    private int statement;

    private PositionalReader(DbDataReader reader, Func<int, Task<DbDataReader>>? execute = null, int statements = 1)
    {
        this.reader = reader;
        this.execute = execute;
        this.statements = statements;
    }

    public static async Task<PositionalReader> ExecuteAsync(DbConnection connection, CommandDefinition command) =>
        new(await connection.ExecuteReaderAsync(command));

    /// <summary>The results of a batch's statements run one at a time, each as a command of its own: where a
    /// round trip costs nothing (SQLite, in process), each statement keeps its text, so the connection runs it
    /// prepared (<see cref="Sqlite.PreparedStatementConnection"/>); one command of the whole batch would be a new
    /// text, prepared again, for every batch.</summary>
    public static async Task<PositionalReader> StatementsAsync(StatementBatch batch, WriteTransaction write, CancellationToken ct)
    {
        Task<DbDataReader> Execute(int i) => write.Connection.ExecuteReaderAsync(
            new CommandDefinition(batch.Statements[i].Sql, batch.Statements[i].Args, write.Transaction, cancellationToken: ct));
        return new(await Execute(0), Execute, batch.Statements.Count);
    }

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
        if (execute is not null)
        {
            reader.Dispose();
            if (++statement < statements)
            {
                reader = await execute(statement);
            }
        }
        else if (!await reader.NextResultAsync(ct))
        {
            await reader.CloseAsync();
        }
    }
}
