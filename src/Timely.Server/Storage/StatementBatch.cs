using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>Several statements sent as one command: one round trip to PostgreSQL (Npgsql sends a
/// multi-statement command as a batch), one call into SQLite. Each statement keeps its own parameter
/// names: they are renamed per statement (@Id of the third statement becomes @s2_Id), so statements
/// of a batch never share or clash on a name.</summary>
public sealed partial class StatementBatch
{
    private static readonly ConcurrentDictionary<(string Sql, int Index), string> Renamed = new();
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    private readonly StringBuilder sql = new();
    private readonly DynamicParameters parameters = new();
    private int count;

    public bool IsEmpty => count == 0;

    /// <summary>Adds a statement whose @Name parameters are bound from the properties of <paramref name="args"/>.</summary>
    public StatementBatch Add(string statement, object? args = null)
    {
        var index = count++;
        sql.Append(Renamed.GetOrAdd((statement, index), key => Parameter().Replace(key.Sql, $"@s{key.Index}_$1"))).Append(";\n");
        if (args is not null)
        {
            foreach (var property in Properties.GetOrAdd(args.GetType(), t => t.GetProperties()))
            {
                parameters.Add($"s{index}_{property.Name}", property.GetValue(args));
            }
        }
        return this;
    }

    public async Task ExecuteAsync(WriteTransaction write, CancellationToken ct)
    {
        if (count > 0)
        {
            await write.Connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, write.Transaction, cancellationToken: ct));
        }
    }

    [GeneratedRegex(@"@([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Parameter();
}
