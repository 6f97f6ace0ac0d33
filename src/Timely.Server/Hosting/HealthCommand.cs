using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Timely.Server.Hosting;

/// <summary>The probe of a container that has no gRPC client of its own (Docker's HEALTHCHECK):
///   timely-server health [--address http://127.0.0.1:50051]
/// asks the running server's gRPC health service; exit code 0 when it answers SERVING, 1 otherwise.
/// The address defaults to the gRPC endpoint of the configuration (Kestrel:Endpoints:Grpc:Url).</summary>
public static class HealthCommand
{
    public static bool Matches(string[] args) => args is ["health", ..];

    public static async Task<int> RunAsync(IConfiguration configuration, string[] args, TextWriter output, TextWriter error)
    {
        var address = args is [_, "--address", var given, ..] ? given : LocalAddress(configuration["Kestrel:Endpoints:Grpc:Url"] ?? "http://localhost:50051");
        using var channel = GrpcChannel.ForAddress(address);
        try
        {
            var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            await output.WriteLineAsync($"{address}: {response.Status}");
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (RpcException e)
        {
            await error.WriteLineAsync($"{address}: {e.Status.StatusCode} ({e.Status.Detail})");
            return 1;
        }
    }

    /// <summary>A listening URL made callable: "http://+:50051" or "http://0.0.0.0:50051" -> "http://127.0.0.1:50051".</summary>
    private static string LocalAddress(string url) =>
        System.Text.RegularExpressions.Regex.Replace(url, @"^(https?://)(\+|\*|0\.0\.0\.0|\[::\])(:\d+)", "${1}127.0.0.1$3");
}
