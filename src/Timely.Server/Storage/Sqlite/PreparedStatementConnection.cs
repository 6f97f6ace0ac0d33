using System.Data;
using Microsoft.Data.Sqlite;

namespace Timely.Server.Storage.Sqlite;

/// <summary>A SQLite connection that keeps the statements it runs prepared for as long as it stays open.
/// Preparing one of our statements (parsing, resolving, planning) costs SQLite more than running it: a
/// read of a conversation by id spent about four fifths of its SQLite time preparing (perf, 2026-12-01),
/// and Microsoft.Data.Sqlite prepares every new command again (dotnet/efcore#14044). Dapper creates a
/// command per call: the commands of this connection run on its prepared statement of the same text.
/// The read pool (<see cref="SqliteReadConnections"/>) and the writer keep their connections open.</summary>
internal sealed class PreparedStatementConnection(string connectionString, Action<PreparedStatementConnection>? release = null)
    : SqliteConnection(connectionString)
{
    // Queries built from filters come in many texts: past this many, a statement is prepared for its call only.
    private const int MaxStatements = 128;

    private readonly Dictionary<string, ReusingCommand> statements = new(StringComparer.Ordinal);

    public override SqliteCommand CreateCommand() =>
        new ReusingCommand(this, kept: false) { Connection = this, CommandTimeout = DefaultTimeout, Transaction = Transaction };

    /// <summary>Closes the connection for good, whatever its pool.</summary>
    public void CloseForGood()
    {
        statements.Clear();
        base.Dispose(true);
    }

    // Disposing hands the connection back to its pool (its statements stay prepared), unless it is broken
    // or a transaction was left open.
    protected override void Dispose(bool disposing)
    {
        if (disposing && release is not null && State == ConnectionState.Open && Transaction is null)
        {
            release(this);
            return;
        }
        statements.Clear();
        base.Dispose(disposing);
    }

    /// <summary>The prepared statement of <paramref name="sql"/>, or null when it is in use (a reader of it is
    /// still open) or the connection keeps enough statements already.</summary>
    private ReusingCommand? Statement(string sql)
    {
        if (!statements.TryGetValue(sql, out var statement))
        {
            if (statements.Count >= MaxStatements)
            {
                return null;
            }
            statement = new ReusingCommand(this, kept: true) { Connection = this, CommandText = sql };
            statements.Add(sql, statement);
        }
        return statement.InUse ? null : statement;
    }

    /// <summary>A command of this connection. One that is <c>kept</c> holds the prepared statement of its text;
    /// any other runs on the kept one of its text, with its own parameters and transaction.</summary>
    private sealed class ReusingCommand(PreparedStatementConnection owner, bool kept) : SqliteCommand
    {
        public bool InUse => DataReader is not null;

        public override SqliteDataReader ExecuteReader(CommandBehavior behavior)
        {
            if (kept || owner.Statement(CommandText) is not { } statement)
            {
                return base.ExecuteReader(behavior);
            }
            statement.Transaction = Transaction;
            statement.CommandTimeout = CommandTimeout;
            statement.Parameters.Clear();
            foreach (SqliteParameter parameter in Parameters)
            {
                statement.Parameters.Add(parameter);
            }
            return statement.ExecuteReader(behavior);
        }
    }
}
