using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Timely.Testing;

namespace Timely.Server.Tests.Deployment;

/// <summary>deploy/Dockerfile cannot be built on these machines (no registry), so its steps are the
/// test script's: the image runs scripts/publish.sh, and here the test script's published server
/// (TIMELY_PUBLISHED_SERVER) runs with the image's ENV and answers the image's HEALTHCHECK, writing
/// nothing beside itself (a read-only root filesystem is enough).</summary>
public sealed class ContainerImageTests : IDisposable
{
    private static readonly string Dockerfile = ContainerImage.Dockerfile;
    private readonly string data = Directory.CreateTempSubdirectory("timely-image-data-").FullName;

    [Fact]
    public void TheImageIsBuiltByThePublishScriptAndRunsAsANonRootUser()
    {
        Assert.Contains("RUN bash scripts/publish.sh /app", Dockerfile);
        Assert.Contains("bash scripts/publish.sh", Repository.ReadFile("scripts/test.sh"));
        Assert.Matches(@"(?m)^USER \$APP_UID$", Dockerfile);
        Assert.Equal(["dotnet", "timely-server.dll"], JsonSerializer.Deserialize<string[]>(Instruction("ENTRYPOINT"))!);
        Assert.Equal("http://+:50051", ContainerImage.Environment["Kestrel__Endpoints__Grpc__Url"]);
        Assert.Equal("http://+:50052", ContainerImage.Environment["Kestrel__Endpoints__Web__Url"]);
        Assert.Contains("EXPOSE 50051 50052", Dockerfile);
    }

    [SkippableFact]
    public async Task ThePublishedServerRunsWithTheImageSettingsAndAnswersItsHealthCheck()
    {
        var published = Environment.GetEnvironmentVariable("TIMELY_PUBLISHED_SERVER");
        Skip.If(string.IsNullOrEmpty(published), "needs the test script's published server (TIMELY_PUBLISHED_SERVER)");
        var before = Snapshot(published!);
        // The image's settings, its /data volume here; the ports are the test's own (see the first test).
        var settings = ContainerImage.Environment
            .Where(e => !e.Key.StartsWith("Kestrel__", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value.Replace("/data/", data + "/"));
        using var server = new ServerProcess(Path.Combine(published!, "timely-server.dll"), settings);
        await server.StartAsync();
        Assert.True(File.Exists(Path.Combine(data, "timely.db")), "the SQLite file goes to the data volume");

        var healthCheck = JsonSerializer.Deserialize<string[]>(HealthCheckCommand())!;
        Assert.Equal(0, await Run(published!, healthCheck, server.GrpcAddress));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, await Run(published!, healthCheck, server.GrpcAddress));

        Assert.Equal(before, Snapshot(published!));
    }

    public void Dispose() => Directory.Delete(data, recursive: true);

    /// <summary>Runs a command of the image in its working directory, with the container's gRPC address.</summary>
    private static async Task<int> Run(string workingDirectory, string[] command, Uri grpcAddress)
    {
        var start = new ProcessStartInfo(command[0]) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        command.Skip(1).ToList().ForEach(start.ArgumentList.Add);
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = grpcAddress.ToString();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await Task.WhenAll(output, error);
        return process.ExitCode;
    }

    private static string Instruction(string name) => Regex.Match(Dockerfile, $@"(?m)^{name} (.+)$").Groups[1].Value;

    private static string HealthCheckCommand() => Regex.Match(Instruction("HEALTHCHECK"), @"CMD (\[.+\])$").Groups[1].Value;

    private static Dictionary<string, (long, DateTime)> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));
}
