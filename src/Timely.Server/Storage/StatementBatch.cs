using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>The statements of one write, sent together: to PostgreSQL as one multi-statement command
/// (Npgsql sends it as a batch: one round trip), to SQLite as statements its dialect keeps prepared
/// (<see cref="StoreDialect.ExecuteAsync"/>). Each statement binds its @Name parameters from the
/// properties of its own argument object.</summary>
public sealed partial class StatementBatch
{
    private static readonly ConcurrentDictionary<(string Sql, int Index), string> Renamed = new();

    private readonly List<(string Sql, object? Args)> statements = [];

    public IReadOnlyList<(string Sql, object? Args)> Statements => statements;

    /// <summary>Adds a statement whose @Name parameters are bound from the properties of <paramref name="args"/>.</summary>
    public StatementBatch Add(string statement, object? args = null)
    {
        statements.Add((statement, args));
        return this;
    }

    public Task ExecuteAsync(WriteTransaction write, Database db, CancellationToken ct) =>
        statements.Count == 0 ? Task.CompletedTask : db.Dialect.ExecuteAsync(this, write, ct);

    /// <summary>The parameters of a statement's argument object, by name.</summary>
    public static IEnumerable<(string Name, object? Value)> Parameters(object? args) =>
        Getters(args?.GetType()).Select(g => (g.Property.Name, g.Get(args!)));

    /// <summary>Each property of a statement's argument type (its parameters, with their types) with its getter,
    /// compiled once per type (a null Nullable as null, a value boxed).</summary>
    internal static (PropertyInfo Property, Func<object, object?> Get)[] Getters(Type? args) =>
        args is null ? [] : CompiledGetters.GetOrAdd(args, static t => t.GetProperties().Select(p =>
        {
            var instance = Expression.Parameter(typeof(object));
            var value = Expression.Property(Expression.Convert(instance, t), p);
            return (p, Expression.Lambda<Func<object, object?>>(Expression.Convert(value, typeof(object)), instance).Compile());
        }).ToArray());

    private static readonly ConcurrentDictionary<Type, (PropertyInfo, Func<object, object?>)[]> CompiledGetters = new();

    /// <summary>A statement with numbered parameters (<see cref="Numbered(string)"/>) and, for each number, the property
    /// of <paramref name="args"/> that gives its value, with its getter (<see cref="Getters"/>): looked up once per
    /// statement and argument type.</summary>
    public static (string Sql, (PropertyInfo Property, Func<object, object?> Get)[] Parameters) Numbered(string statement, object? args) =>
        NumberedProperties.GetOrAdd((statement, args?.GetType()), static key =>
        {
            var (sql, names) = Numbered(key.Statement);
            var getters = Getters(key.Args);
            return (sql, names.Select(name => Array.Find(getters, g => g.Property.Name == name) is { Property: not null } found
                ? found
                : throw new InvalidOperationException($"no value for @{name} in: {key.Statement}")).ToArray());
        });

    private static readonly ConcurrentDictionary<(string Statement, Type? Args), (string, (PropertyInfo, Func<object, object?>)[])> NumberedProperties = new();

    /// <summary>A statement with its @Name parameters numbered ($1, $2, ... in order of first use), and the names in that order.</summary>
    public static (string Sql, string[] Names) Numbered(string statement) => NumberedStatements.GetOrAdd(statement, sql =>
    {
        var names = new List<string>();
        var numbered = Parameter().Replace(sql, m =>
        {
            var at = names.IndexOf(m.Groups[1].Value);
            if (at < 0)
            {
                names.Add(m.Groups[1].Value);
                at = names.Count - 1;
            }
            return "$" + (at + 1);
        });
        return (numbered, names.ToArray());
    });

    private static readonly ConcurrentDictionary<string, (string, string[])> NumberedStatements = new();

    /// <summary>All statements as one command: each statement's parameters renamed (@Id of the third
    /// statement becomes @s2_Id), so statements never share or clash on a name.</summary>
    public CommandDefinition AsOneCommand(WriteTransaction write, CancellationToken ct)
    {
        var sql = new StringBuilder();
        var parameters = new DynamicParameters();
        for (var i = 0; i < statements.Count; i++)
        {
            var (statement, args) = statements[i];
            sql.Append(Renamed.GetOrAdd((statement, i), key => Parameter().Replace(key.Sql, $"@s{key.Index}_$1"))).Append(";\n");
            foreach (var (name, value) in Parameters(args))
            {
                parameters.Add($"s{i}_{name}", value);
            }
        }
        return new CommandDefinition(sql.ToString(), parameters, write.Transaction, cancellationToken: ct);
    }

    [GeneratedRegex(@"@([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Parameter();
}
