using Grpc.Core;
using Grpc.Core.Interceptors;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Auth;

public sealed class KeyManagementTests
{
    [Fact]
    public async Task KeysCreatedListedAndRevokedFromTheCommandLine()
    {
        using var server = new TimelyServer();
        var output = new StringWriter();
        Assert.Equal(0, await KeysCommand.RunAsync(server.Services, ["keys", "create", "--workspace", "acme", "--scope", "read", "--name", "dashboard"], output, output));
        var secret = output.ToString().Trim().Split('\n')[^1].Trim();
        Assert.StartsWith(ApiKeySecrets.Prefix, secret);
        Assert.True(secret.Length >= ApiKeySecrets.Prefix.Length + 43, "at least 256 bits");   // base64url of 32 bytes

        var client = server.ClientWith(secret);
        await client.ListConversationsAsync(new ListConversationsRequest());
        await FailsWith(StatusCode.PermissionDenied, () => client.CreateAsync());

        var list = new StringWriter();
        await KeysCommand.RunAsync(server.Services, ["keys", "list", "--workspace", "acme"], list, list);
        var line = list.ToString().Split('\n').Single(l => l.Contains("dashboard"));
        Assert.DoesNotContain(secret, list.ToString());
        var id = line.Split(' ')[0];

        Assert.Equal(0, await KeysCommand.RunAsync(server.Services, ["keys", "revoke", id], output, output));
        await FailsWith(StatusCode.Unauthenticated, () => client.ListConversationsAsync(new ListConversationsRequest()).ResponseAsync);
        Assert.Equal(2, await KeysCommand.RunAsync(server.Services, ["keys", "create", "--workspace", "Bad Name", "--scope", "read"], output, output));
    }

    [Fact]
    public async Task KeysAreStoredOnlyAsHashes()
    {
        using var server = new TimelyServer();
        var (secret, _) = await server.CreateKeyAsync("acme", ApiKeyScope.Write);
        await using var connection = await server.GetService<Storage.StoreDialect>().OpenAsync(CancellationToken.None);
        var rows = (await Dapper.SqlMapper.QueryAsync(connection, "SELECT * FROM api_keys")).Cast<IDictionary<string, object?>>().ToList();
        var stored = string.Join("|", rows.SelectMany(r => r.Values).Select(v => v?.ToString()));
        Assert.Contains(ApiKeySecrets.Hash(secret), stored);
        Assert.DoesNotContain(secret[ApiKeySecrets.Prefix.Length..][..12], stored);
    }

    [SkippableFact]
    public async Task FirstStartOnAnEmptyDatabaseCreatesADevelopmentKeyForTheOwnerOnly()
    {
        Skip.If(TestDatabase.PostgresServer is not null, "the development key is a feature of the embedded SQLite default");
        using var server = new DevelopmentServer();
        var path = Path.Combine(server.DataFolder, DevelopmentKey.FileName);
        _ = server.Channel;
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        var key = (await File.ReadAllTextAsync(path)).Trim();

        var client = server.ClientWith(key);
        var conversation = await client.CreateAsync();
        Assert.Equal(conversation.Id, (await client.GetAsync(conversation.Id)).Id);
        Assert.Single(await server.GetService<ApiKeyStore>().ListAsync(null, CancellationToken.None));
    }

    [SkippableFact]
    public async Task TheDevelopmentKeyFileIsCreatedAfreshNotWrittenThroughWhatWasAtItsPath()
    {
        Skip.If(TestDatabase.PostgresServer is not null, "the development key is a feature of the embedded SQLite default");
        if (OperatingSystem.IsWindows())
        {
            throw new SkipException("Unix file modes");
        }
        using var server = new DevelopmentServer();
        var path = Path.Combine(server.DataFolder, DevelopmentKey.FileName);
        var elsewhere = Directory.CreateTempSubdirectory("timely-elsewhere-").FullName;
        var planted = Path.Combine(elsewhere, "world-readable");
        await File.WriteAllTextAsync(planted, "");
        File.CreateSymbolicLink(path, planted);
        try
        {
            _ = server.Channel;
            Assert.Equal("", await File.ReadAllTextAsync(planted));
            Assert.Null(new FileInfo(path).LinkTarget);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var key = (await File.ReadAllTextAsync(path)).Trim();
            await server.ClientWith(key).ListConversationsAsync(new ListConversationsRequest());
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public async Task ARevokedBootstrapKeyStaysRevokedAndTheServerStillStarts()
    {
        var key = ApiKeySecrets.NewSecret();
        using var database = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();
        var folder = Directory.CreateTempSubdirectory("timely-restart-").FullName;
        var settings = new Dictionary<string, string?> { ["Auth:BootstrapAdminKey"] = key, ["Storage:Sqlite:Path"] = Path.Combine(folder, "timely.db") };
        if (database is not null)
        {
            settings["ConnectionStrings:Timely"] = database.ConnectionString;
        }
        using (var first = new ConfiguredServer(settings))
        {
            await first.ClientWith(key).ListConversationsAsync(new ListConversationsRequest());
            var keys = first.GetService<ApiKeyStore>();
            var bootstrap = (await keys.ListAsync(Workspaces.Default, CancellationToken.None)).Single(k => k.Name == "bootstrap");
            Assert.True(await keys.RevokeAsync(bootstrap.Id, CancellationToken.None));
        }

        // The same configuration again: the server starts, and the key it names stays revoked.
        using (var second = new ConfiguredServer(settings))
        {
            await FailsWith(StatusCode.Unauthenticated, () => second.ClientWith(key).ListConversationsAsync(new ListConversationsRequest()).ResponseAsync);
            var (fresh, _) = await second.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Admin);
            await second.ClientWith(fresh).ListConversationsAsync(new ListConversationsRequest());
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task ConcurrentRegistrationsOfOneSecretStoreOneKey()
    {
        // What replicas starting together with one Auth:BootstrapAdminKey do, without the timing luck.
        using var server = new TimelyServer();
        var keys = server.GetService<ApiKeyStore>();
        var secret = ApiKeySecrets.NewSecret();
        var stored = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            keys.CreateAsync(Workspaces.Default, ApiKeyScope.Admin, "replica", secret, CancellationToken.None))));
        Assert.Single(stored.Select(k => k.Id).Distinct());
        Assert.Single(await keys.ListAsync(Workspaces.Default, CancellationToken.None), k => k.Name == "replica");
        await server.ClientWith(secret).ListConversationsAsync(new ListConversationsRequest());
    }

    [Theory]
    [InlineData("0123456789")]
    [InlineData("tly_abcdef")]
    [InlineData("tly_0123456789abcdefghijklmnopq")]   // 31 characters
    public void ASecretTooShortToBeAKeyLeavesNoCharacterInItsListing(string secret) =>
        Assert.Equal("", ApiKeySecrets.Recognisable(secret));

    [Fact]
    public void AGeneratedKeyIsListedByItsFirstCharacters()
    {
        var secret = ApiKeySecrets.NewSecret();
        Assert.Equal(secret[..10], ApiKeySecrets.Recognisable(secret));
    }

    [Fact]
    public async Task MissingOrMalformedKeysAreUnauthenticatedWithAClearMessage()
    {
        using var server = new TimelyServer();
        var missing = await FailsWith(StatusCode.Unauthenticated, () => server.ClientWith(null).ListConversationsAsync(new ListConversationsRequest()).ResponseAsync);
        Assert.Contains("authorization: Bearer", missing.Status.Detail);
        var unknown = await FailsWith(StatusCode.Unauthenticated, () => server.ClientWith("tly_nope").ListConversationsAsync(new ListConversationsRequest()).ResponseAsync);
        Assert.Contains("unknown or revoked", unknown.Status.Detail);

        // x-api-key, the header of Timely's REST API, works too.
        var invoker = server.Channel.CreateCallInvoker().Intercept(m =>
        {
            m.Add("x-api-key", server.AdminKey);
            return m;
        });
        await new ConversationService.ConversationServiceClient(invoker).ListConversationsAsync(new ListConversationsRequest());
    }

    /// <summary>A server started like a newcomer's: no bootstrap key configured.</summary>
    private sealed class DevelopmentServer() : TimelyServer(clock: null, new Dictionary<string, string?> { ["Auth:BootstrapAdminKey"] = "" });

    /// <summary>A server with settings of the test's own (e.g. a database that outlives it).</summary>
    private sealed class ConfiguredServer(IDictionary<string, string?> settings) : TimelyServer(clock: null, settings);
}
