using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Timely.Server.Storage.Sqlite;

/// <summary>One of the writer's statement texts, prepared once on SQLite's own API and run with the values of
/// an argument object: its parameters bound by position, found once, from getters compiled once. The same
/// statement through a <see cref="SqliteCommand"/> made a command, a parameter object per value and a UTF-8 copy
/// of each parameter's name and value, every time: a third of what a message allocated in SendMessage
/// (dotnet-trace, 2026-12-03). Values bind as Microsoft.Data.Sqlite binds them; a statement whose argument has a
/// property of another type is not made (<see cref="TryPrepare"/>) and runs as a command.</summary>
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
        var properties = args is null ? [] : args.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        if (properties.Any(p => !Bindable.Contains(Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType)))
        {
            return null;
        }
        var prepared = new List<(sqlite3_stmt, (int, Func<object, object?>)[])>();
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
                prepared.Add((statement, []));
                var bindings = new (int, Func<object, object?>)[raw.sqlite3_bind_parameter_count(statement)];
                for (var index = 1; index <= bindings.Length; index++)
                {
                    // SQLite's name keeps its prefix (@Name, :Name or $Name).
                    var name = raw.sqlite3_bind_parameter_name(statement, index).utf8_to_string()?[1..];
                    if (Array.Find(properties, p => p.Name == name) is not { } property)
                    {
                        prepared.ForEach(s => s.Item1.Dispose());
                        return null;   // the command reports it as Microsoft.Data.Sqlite does
                    }
                    bindings[index - 1] = (index, Getter(property));
                }
                prepared[^1] = (statement, bindings);
            }
            return new WriteStatement(db, prepared);
        }
        catch
        {
            prepared.ForEach(s => s.Item1.Dispose());
            throw;
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

    /// <summary>A compiled getter of the property, boxed (a null Nullable as null).</summary>
    private static Func<object, object?> Getter(PropertyInfo property)
    {
        var args = Expression.Parameter(typeof(object));
        var value = Expression.Property(Expression.Convert(args, property.DeclaringType!), property);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(value, typeof(object)), args).Compile();
    }
}
