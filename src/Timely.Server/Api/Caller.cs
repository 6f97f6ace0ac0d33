using Grpc.Core;

namespace Timely.Server.Api;

/// <summary>Who is calling. Until API keys arrive, every call acts in the default workspace.</summary>
public static class Caller
{
    public const string DefaultWorkspace = "default";

    public static string Workspace(ServerCallContext context) => DefaultWorkspace;
}
