using Microsoft.Extensions.Options;
using Timely.Server.Storage;

namespace Timely.Server.Auth;

/// <summary>Keeps the zero-config start zero-config: on the embedded store with no key at all, creates
/// the `default` workspace and an admin key, prints it once and writes it, owner-only, to the data
/// folder. Also registers Auth:BootstrapAdminKey when configured (tests, scripted set-ups).</summary>
public sealed partial class DevelopmentKey(
    ApiKeyStore keys, IOptions<AuthOptions> auth, IOptions<StorageOptions> storage, ILogger<DevelopmentKey> logger) : IHostedService
{
    public const string FileName = "dev-admin-key";

    public async Task StartAsync(CancellationToken ct)
    {
        if (auth.Value.BootstrapAdminKey is { Length: > 0 } bootstrap)
        {
            if (await keys.FindAsync(bootstrap, ct) is null)
            {
                await keys.CreateAsync(Workspaces.Default, ApiKeyScope.Admin, "bootstrap", bootstrap, ct);
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
        await File.WriteAllTextAsync(path, secret + Environment.NewLine, ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        LogCreated(secret, path);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Created a development admin key for workspace 'default' (shown once; also saved to {Path}): {Key}")]
    private partial void LogCreated(string key, string path);
}
