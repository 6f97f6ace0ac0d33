using Dapper;
using Timely.Server.Storage;

namespace Timely.Server.Auth;

/// <summary>Workspaces and API keys, in the same database as the conversations.</summary>
public sealed class ApiKeyStore(Database db, TimeProvider clock)
{
    private const string Columns = "id, workspace, scope, name, prefix, created_at, revoked_at, agent_id";

    // Selected as 0 or 1 on both databases (a boolean on PostgreSQL, an integer on SQLite).
    private const string Selected = Columns + ", CASE WHEN public_only THEN 1 ELSE 0 END AS public_only";

    /// <summary>Stores a key with this secret and returns it; if a key with this secret is stored already
    /// (live or revoked), returns that one and changes nothing. Replicas starting at once with the same
    /// Auth:BootstrapAdminKey therefore store it once, and a revoked key is never stored again.</summary>
    public Task<ApiKey> CreateAsync(string workspace, ApiKeyScope scope, string name, string secret, CancellationToken ct) =>
        CreateAsync(workspace, scope, name, secret, agent: null, ct);

    /// <summary>As above, for a key bound to the human agent <paramref name="agent"/> when it is not null.</summary>
    public Task<ApiKey> CreateAsync(string workspace, ApiKeyScope scope, string name, string secret, Guid? agent, CancellationToken ct) =>
        CreateAsync(workspace, scope, name, secret, agent, publicOnly: false, ct);

    /// <summary>As above, for a key that reads only public messages when <paramref name="publicOnly"/>.</summary>
    public async Task<ApiKey> CreateAsync(string workspace, ApiKeyScope scope, string name, string secret, Guid? agent, bool publicOnly, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = new ApiKey(Guid.CreateVersion7(now), workspace, scope, name, ApiKeySecrets.Recognisable(secret), now, null, agent, publicOnly);
        var stored = await db.WriteAsync(async w =>
        {
            await w.Connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO workspaces (id, created_at) VALUES (@Workspace, @Now) ON CONFLICT (id) DO NOTHING;\n" +
                $"INSERT INTO api_keys ({Columns}, public_only, hash) VALUES (@Id, @Workspace, @Scope, @Name, @Prefix, @Now, NULL, @AgentId, @PublicOnly, @Hash) " +
                "ON CONFLICT (hash) DO NOTHING",
                new
                {
                    Id = key.Id.ToString(), key.Workspace, Scope = (long)scope, key.Name, key.Prefix,
                    Now = Micros.From(now), Hash = ApiKeySecrets.Hash(secret), AgentId = agent?.ToString(), PublicOnly = publicOnly,
                }, w.Transaction, cancellationToken: ct));
            // A statement of its own: under READ COMMITTED it sees the row of a replica that won the race.
            return await w.Connection.QuerySingleAsync<Row>(new CommandDefinition(
                $"SELECT {Selected} FROM api_keys WHERE hash = @Hash",
                new { Hash = ApiKeySecrets.Hash(secret) }, w.Transaction, cancellationToken: ct));
        }, ct);
        return stored.ToKey();
    }

    /// <summary>The live (not revoked) key with this secret, or null.</summary>
    public async Task<ApiKey?> FindAsync(string secret, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Selected} FROM api_keys WHERE hash = @Hash AND revoked_at IS NULL",
            new { Hash = ApiKeySecrets.Hash(secret) }, cancellationToken: ct)), ct))?.ToKey();

    /// <summary>True while the key with this id exists and is not revoked.</summary>
    public Task<bool> IsLiveAsync(Guid id, CancellationToken ct) =>
        db.ReadAsync(async c => await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM api_keys WHERE id = @Id AND revoked_at IS NULL", new { Id = id.ToString() }, cancellationToken: ct)) > 0, ct);

    public async Task<IReadOnlyList<ApiKey>> ListAsync(string? workspace, CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Selected} FROM api_keys WHERE @Workspace IS NULL OR workspace = @Workspace ORDER BY workspace, created_at",
            new { Workspace = workspace }, cancellationToken: ct)), ct);
        return rows.Select(r => r.ToKey()).ToList();
    }

    public Task<bool> AnyAsync(CancellationToken ct) =>
        db.ReadAsync(async c => await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM api_keys", cancellationToken: ct)) > 0, ct);

    /// <summary>Revokes a key; false when there is no live key with that id.</summary>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken ct) =>
        await db.WriteAsync(w => w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @Now WHERE id = @Id AND revoked_at IS NULL",
            new { Id = id.ToString(), Now = Micros.From(clock.GetUtcNow()) }, w.Transaction, cancellationToken: ct)), ct) == 1;

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Workspace { get; set; } = "";
        public long Scope { get; set; }
        public string Name { get; set; } = "";
        public string Prefix { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? RevokedAt { get; set; }
        public string? AgentId { get; set; }
        public long PublicOnly { get; set; }

        public ApiKey ToKey() => new(Guid.Parse(Id), Workspace, (ApiKeyScope)Scope, Name, Prefix, Micros.ToTime(CreatedAt), Micros.ToTime(RevokedAt),
            AgentId is null ? null : Guid.Parse(AgentId), PublicOnly != 0);
    }
}
