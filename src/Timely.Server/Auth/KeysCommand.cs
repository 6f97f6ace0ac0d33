using Timely.Server.Storage;

namespace Timely.Server.Auth;

/// <summary>Key management from the server program's command line, against the configured database:
///   timely-server keys create --workspace acme --scope write [--name "agent backend"] [--agent HUMAN_AGENT_UUID] [--public-only]
///   timely-server keys list [--workspace acme]
///   timely-server keys revoke KEY_ID</summary>
public static class KeysCommand
{
    public static bool Matches(string[] args) => args is ["keys", ..];

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error)
    {
        var ct = CancellationToken.None;
        await services.GetRequiredService<StoreDialect>().MigrateAsync(ct);
        var keys = services.GetRequiredService<ApiKeyStore>();
        var options = Options(args.Skip(2));
        switch (args.ElementAtOrDefault(1))
        {
            case "create":
                if (!options.TryGetValue("workspace", out var workspace) || !IsWorkspaceName(workspace))
                {
                    return Usage(error, "--workspace is required: lowercase letters, digits and dashes, at most 64");
                }
                if (!Enum.TryParse<ApiKeyScope>(options.GetValueOrDefault("scope", ""), ignoreCase: true, out var scope) || !Enum.IsDefined(scope))
                {
                    return Usage(error, "--scope must be read, write or admin");
                }
                Guid? agent = null;
                if (options.TryGetValue("agent", out var agentText))
                {
                    if (!Guid.TryParseExact(agentText, "D", out var agentId))
                    {
                        return Usage(error, "--agent must be the human agent's UUID");
                    }
                    agent = agentId;
                }
                var secret = ApiKeySecrets.NewSecret();
                var publicOnly = args.Contains("--public-only");
                var key = await keys.CreateAsync(workspace, scope, options.GetValueOrDefault("name", ""), secret, agent, publicOnly, ct);
                await output.WriteLineAsync($"Created {scope.ToString().ToLowerInvariant()} key {key.Id} for workspace '{workspace}'"
                    + (agent is null ? "" : $", bound to human agent {agent}") + (publicOnly ? ", reading only public messages." : "."));
                await output.WriteLineAsync("The key is shown once; store it now:");
                await output.WriteLineAsync(secret);
                return 0;
            case "list":
                await output.WriteLineAsync($"{"ID",-36}  {"WORKSPACE",-16}  {"SCOPE",-5}  {"KEY",-10}  {"CREATED",-20}  {"REVOKED",-20}  NAME");
                foreach (var k in await keys.ListAsync(options.GetValueOrDefault("workspace"), ct))
                {
                    await output.WriteLineAsync(
                        $"{k.Id,-36}  {k.Workspace,-16}  {k.Scope.ToString().ToLowerInvariant(),-5}  {k.Prefix + "…",-10}  {k.CreatedAt:yyyy-MM-dd HH:mm:ss}Z  {(k.RevokedAt is { } r ? r.ToString("yyyy-MM-dd HH:mm:ss") + "Z" : "-"),-20}  {k.Name}{(k.AgentId is { } a ? $" (human agent {a})" : "")}{(k.PublicOnly ? " (public only)" : "")}");
                }
                return 0;
            case "revoke":
                if (!Guid.TryParse(args.ElementAtOrDefault(2), out var id))
                {
                    return Usage(error, "revoke takes the key's id (see keys list)");
                }
                if (!await keys.RevokeAsync(id, ct))
                {
                    await error.WriteLineAsync($"No live key {id}.");
                    return 1;
                }
                await output.WriteLineAsync($"Revoked key {id}.");
                return 0;
            default:
                return Usage(error, "expected create, list or revoke");
        }
    }

    private static bool IsWorkspaceName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');

    private static Dictionary<string, string> Options(IEnumerable<string> args)
    {
        var options = new Dictionary<string, string>();
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                pending = arg[2..];
            }
            else if (pending is not null)
            {
                options[pending] = arg;
                pending = null;
            }
        }
        return options;
    }

    private static int Usage(TextWriter error, string problem)
    {
        error.WriteLine($"keys: {problem}");
        error.WriteLine("usage: timely-server keys create --workspace NAME --scope read|write|admin [--name TEXT] [--agent HUMAN_AGENT_UUID] [--public-only]");
        error.WriteLine("       timely-server keys list [--workspace NAME]");
        error.WriteLine("       timely-server keys revoke KEY_ID");
        return 2;
    }
}
