using Microsoft.Extensions.Options;
using Timely.Server.Storage;

namespace Timely.Server.Auth;

/// <summary>Keeps the zero-config start zero-config: on the embedded store with no key at all, creates
/// the `default` workspace and an admin key, prints it once and writes it, owner-only, to the data
/// folder. Also registers Auth:BootstrapAdminKey when configured (tests, scripted set-ups), unless a
/// key with that secret is stored already: live, or revoked (then it stays revoked, with a warning).</summary>
public sealed partial class DevelopmentKey(
    ApiKeyStore keys, IOptions<AuthOptions> auth, IOptions<StorageOptions> storage, ILogger<DevelopmentKey> logger) : IHostedService
{
    public const string FileName = "dev-admin-key";

    public async Task StartAsync(CancellationToken ct)
    {
        if (auth.Value.BootstrapAdminKey is { Length: > 0 } bootstrap)
        {
            // Stored once, whichever replica starts first; once revoked, it stays revoked (the server
            // starts without it), so a leaked key cannot come back with a restart.
            var key = await keys.CreateAsync(Workspaces.Default, ApiKeyScope.Admin, "bootstrap", bootstrap, ct);
            if (key.RevokedAt is { } revoked)
            {
                LogBootstrapRevoked(key.Id, revoked);
            }
            return;
        }
        if (!auth.Value.CreateDevelopmentKey || storage.Value.Provider != StorageOptions.SqliteProvider || await keys.AnyAsync(ct))
        {
            return;
        }
        var secret = ApiKeySecrets.NewSecret();
        await keys.CreateAsync(Workspaces.Default, ApiKeyScope.Admin, "development", secret, ct);
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(storage.Value.Sqlite.Path))!, FileName);
        // A file left from an earlier database (or anything else at that path) is replaced, not written
        // through; the new file is owner-only from its creation, never readable by others for a moment.
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var file = new StreamWriter(path, options))
        {
            await file.WriteLineAsync(secret.AsMemory(), ct);
        }
        LogCreated(secret, path);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Auth:BootstrapAdminKey names key {KeyId}, revoked at {RevokedAt}: it stays revoked. Configure a new key, or none")]
    private partial void LogBootstrapRevoked(Guid keyId, DateTimeOffset revokedAt);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Created a development admin key for workspace 'default' (shown once; also saved to {Path}): {Key}")]
    private partial void LogCreated(string key, string path);
}
