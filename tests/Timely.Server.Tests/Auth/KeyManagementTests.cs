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
}
