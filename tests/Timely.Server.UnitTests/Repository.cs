namespace Timely.Server.UnitTests;

/// <summary>The checkout these tests were built from: for tests of its scripts and files.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Version => File.ReadAllText(Path.Combine(Root, "VERSION")).Trim();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Timely.Grpc.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"no Timely.Grpc.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>Runs a bash script of a checkout as CI does, with its output (stdout, then stderr).</summary>
public static class Script
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string path, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(path);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
