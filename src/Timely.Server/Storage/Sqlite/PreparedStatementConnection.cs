using System.Collections.Concurrent;
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
    private readonly Dictionary<(string Sql, Type? Args), WriteStatement?> writeStatements = [];

    public override SqliteCommand CreateCommand() =>
        new ReusingCommand(this, kept: false) { Connection = this, CommandTimeout = DefaultTimeout, Transaction = Transaction };

    /// <summary>Runs a statement that returns nothing with the values of <paramref name="args"/> on its
    /// <see cref="WriteStatement"/>, kept prepared; false when there is none for it (the caller runs a command).</summary>
    public bool TryExecute(string sql, object? args)
    {
        var key = (sql, args?.GetType());
        if (!writeStatements.TryGetValue(key, out var statement))
        {
            if (writeStatements.Count >= MaxStatements)
            {
                return false;
            }
            statement = WriteStatement.TryPrepare(Handle!, sql, key.Item2);
            writeStatements.Add(key, statement);
        }
        statement?.Execute(args);
        return statement is not null;
    }

    /// <summary>Closes the connection for good, whatever its pool.</summary>
    public void CloseForGood()
    {
        ForgetStatements();
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
        ForgetStatements();
        base.Dispose(disposing);
    }

    // The write statements are SQLite's own: finalized before the connection closes.
    private void ForgetStatements()
    {
        statements.Clear();
        foreach (var statement in writeStatements.Values)
        {
            statement?.Dispose();
        }
        writeStatements.Clear();
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
                // Dapper names a parameter without its prefix, and Microsoft.Data.Sqlite then tries each prefix in turn
                // (a new string and its UTF-8 copy each time, on every call): our statements name them @Name.
                if (parameter.ParameterName is [not ('@' or ':' or '$'), ..] name)
                {
                    parameter.ParameterName = Prefixed.GetOrAdd(name, static n => "@" + n);
                }
                statement.Parameters.Add(parameter);
            }
            return statement.ExecuteReader(behavior);
        }

        private static readonly ConcurrentDictionary<string, string> Prefixed = new(StringComparer.Ordinal);
    }
}
