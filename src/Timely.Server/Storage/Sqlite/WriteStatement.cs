using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Timely.Server.Storage.Sqlite;

/// <summary>One of the writer's statement texts, prepared once on SQLite's own API and run with the values of
/// an argument object: its parameters bound by position, found once, from the argument type's compiled getters
/// (<see cref="StatementBatch.Getters"/>). The same statement through a <see cref="SqliteCommand"/> made a command,
/// a parameter object per value and a UTF-8 copy of each parameter's name and value, every time: a third of what a
/// message allocated in SendMessage (dotnet-trace, 2026-12-03). Values bind as Microsoft.Data.Sqlite binds them; a
/// statement whose argument has a property of another type is not made (<see cref="TryPrepare"/>) and runs as a
/// command.</summary>
internal sealed class WriteStatement : IDisposable
{
    private readonly sqlite3 db;
    private readonly List<(sqlite3_stmt Statement, (int Index, Func<object, object?> Value)[] Bindings)> statements;

    private WriteStatement(sqlite3 db, List<(sqlite3_stmt, (int, Func<object, object?>)[])> statements)
    {
        this.db = db;
        this.statements = statements;
    }

    /// <summary>The statements of <paramref name="sql"/> (it may hold several), or null when the properties of
    /// <paramref name="args"/> are not all of a type bound here or a parameter has no property.</summary>
    public static WriteStatement? TryPrepare(sqlite3 db, string sql, Type? args)
    {
        var getters = StatementBatch.Getters(args);
        if (getters.Any(g => !Bindable.Contains(Nullable.GetUnderlyingType(g.Property.PropertyType) ?? g.Property.PropertyType)))
        {
            return null;
        }
        var prepared = new List<(sqlite3_stmt, (int, Func<object, object?>)[])>();
        WriteStatement? made = null;
        try
        {
            for (var rest = sql; !string.IsNullOrWhiteSpace(rest);)
            {
                var rc = raw.sqlite3_prepare_v2(db, rest, out var statement, out rest);
                SqliteException.ThrowExceptionForRC(rc, db);
                if (statement.IsInvalid)
                {
                    continue;   // only a comment or whitespace was left
                }
                var bindings = new (int, Func<object, object?>)[raw.sqlite3_bind_parameter_count(statement)];
                prepared.Add((statement, bindings));
                for (var index = 1; index <= bindings.Length; index++)
                {
                    // SQLite's name keeps its prefix (@Name, :Name or $Name).
                    var name = raw.sqlite3_bind_parameter_name(statement, index).utf8_to_string()?[1..];
                    var found = Array.FindIndex(getters, g => g.Property.Name == name);
                    if (found < 0)
                    {
                        return null;   // the command reports it as Microsoft.Data.Sqlite does
                    }
                    bindings[index - 1] = (index, getters[found].Get);
                }
            }
            return made = new WriteStatement(db, prepared);
        }
        finally
        {
            if (made is null)
            {
                prepared.ForEach(s => s.Item1.Dispose());
            }
        }
    }

    /// <summary>Runs every statement of the text to its end with the values of <paramref name="args"/>.</summary>
    public void Execute(object? args)
    {
        foreach (var (statement, bindings) in statements)
        {
            try
            {
                foreach (var (index, value) in bindings)
                {
                    SqliteException.ThrowExceptionForRC(Bind(statement, index, value(args!)), db);
                }
                int rc;
                while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                {
                }
                if (rc != raw.SQLITE_DONE)
                {
                    SqliteException.ThrowExceptionForRC(rc, db);
                }
            }
            finally
            {
                raw.sqlite3_reset(statement);
                raw.sqlite3_clear_bindings(statement);
            }
        }
    }

    public void Dispose() => statements.ForEach(s => s.Statement.Dispose());

    private static readonly HashSet<Type> Bindable = [typeof(string), typeof(long), typeof(int), typeof(bool), typeof(byte[])];

    // As Microsoft.Data.Sqlite's SqliteValueBinder: integers and booleans as INTEGER, text as TEXT (empty text is
    // not NULL: an empty span would bind a null pointer), a byte array as a BLOB.
    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null => raw.sqlite3_bind_null(statement, index),
        string { Length: 0 } => raw.sqlite3_bind_text(statement, index, ""),
        string text => raw.sqlite3_bind_text16(statement, index, text.AsSpan()),
        long number => raw.sqlite3_bind_int64(statement, index, number),
        int number => raw.sqlite3_bind_int64(statement, index, number),
        bool flag => raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0),
        byte[] { Length: 0 } => raw.sqlite3_bind_zeroblob(statement, index, 0),
        byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes),
        _ => throw new InvalidOperationException($"no binding for {value.GetType()}"),
    };
}
