using System.Security.Cryptography;
using Dapper;

namespace Timely.Server.Storage;

/// <summary>Secrets every replica shares (e.g. the key that signs page tokens), created on first use.</summary>
public sealed class SecretStore(Database db)
{
    public Task<byte[]> GetOrCreateAsync(string name, int length, CancellationToken ct) =>
        db.WriteAsync(async w =>
        {
            await w.Connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO secrets (name, value) VALUES (@Name, @Value) ON CONFLICT (name) DO NOTHING",
                new { Name = name, Value = RandomNumberGenerator.GetBytes(length) }, w.Transaction, cancellationToken: ct));
            return await w.Connection.QuerySingleAsync<byte[]>(new CommandDefinition(
                "SELECT value FROM secrets WHERE name = @Name", new { Name = name }, w.Transaction, cancellationToken: ct));
        }, ct);
}
