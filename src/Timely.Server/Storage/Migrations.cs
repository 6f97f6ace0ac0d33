using System.Data.Common;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>Applies the numbered SQL files embedded under a dialect's Migrations folder, in order,
/// each once, recording them in schema_migrations.</summary>
public static class Migrations
{
    public static async Task ApplyAsync(DbConnection connection, string resourcePrefix, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
            cancellationToken: ct));
        var applied = (await connection.QueryAsync<long>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: ct))).ToHashSet();

        var assembly = typeof(Migrations).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(resourcePrefix + ".", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Resource: n, Name: n[(resourcePrefix.Length + 1)..]))
            .Select(s => (s.Resource, s.Name, Version: long.Parse(s.Name.Split('_')[0].TrimStart('_'))))
            .OrderBy(s => s.Version);

        foreach (var script in scripts.Where(s => !applied.Contains(s.Version)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(script.Resource)!);
            var sql = await reader.ReadToEndAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { script.Version, script.Name, AppliedAt = DateTimeOffset.UtcNow.ToString("O") },
                transaction: transaction, cancellationToken: ct));
            await transaction.CommitAsync(ct);
        }
    }
}
