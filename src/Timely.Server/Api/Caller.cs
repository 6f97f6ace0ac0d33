using Grpc.Core;
using Timely.Server.Auth;

namespace Timely.Server.Api;

/// <summary>Who is calling: the workspace of the caller's API key (Auth/ApiKeyAuthentication.cs), and the
/// human agent it belongs to, if any.</summary>
public static class Caller
{
    public static Guid? Agent(ServerCallContext context) =>
        Guid.TryParse(context.GetHttpContext().User.FindFirst(ApiKeyAuthentication.AgentClaim)?.Value, out var agent) ? agent : null;

    /// <summary>True for a key restricted to public messages (a customer-facing view).</summary>
    public static bool PublicOnly(ServerCallContext context) =>
        context.GetHttpContext().User.HasClaim(ApiKeyAuthentication.PublicOnlyClaim, "true");

    public static string Workspace(ServerCallContext context) =>
        WorkspaceOrNull(context) ?? throw new InvalidOperationException("a call reached the service without an authenticated key");

    /// <summary>The workspace, or null for the calls that need no key (health, reflection).</summary>
    public static string? WorkspaceOrNull(ServerCallContext context) =>
        context.GetHttpContext().User.FindFirst(ApiKeyAuthentication.WorkspaceClaim)?.Value;
}
