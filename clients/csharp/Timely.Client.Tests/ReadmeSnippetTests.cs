using System.Diagnostics;
using System.Text.RegularExpressions;
using Timely.Testing;

namespace Timely.Client.Tests;

/// <summary>Every <c>csharp</c> block of the SDK's README and of the root README's "Client SDKs" section, compiled as
/// a program of its own (an ASP.NET Core app referencing this build of Timely.Client) and run as pasted against
/// the real server: its address in place of localhost:50051, TIMELY_API_KEY set, from a folder laid out as the
/// repository root (the development key at src/Timely.Server/data/dev-admin-key). A block passes when it exits
/// 0, or, when it keeps running (a stream it follows, a receiver it serves), once it has written to stdout and
/// nothing to stderr for a second.</summary>
public sealed partial class ReadmeSnippetTests(SdkServer server) : IClassFixture<SdkServer>
{
    public static TheoryData<string> Snippets()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in All())
        {
            data.Add(name);
        }
        return data;
    }

    [Fact]
    public void TheReadmesHaveCsharpBlocksToRun() => Assert.True(All().Count >= 3, $"{All().Count} blocks found");

    [Theory]
    [MemberData(nameof(Snippets))]
    public async Task ABlockRunsAsPasted(string name)
    {
        var code = All().Single(s => s.Name == name).Code;
        var folder = Directory.CreateTempSubdirectory("timely-readme-cs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "src/Timely.Server/data"));
            await File.WriteAllTextAsync(Path.Combine(folder, "src/Timely.Server/data/dev-admin-key"), server.Process.AdminKey + "\n");
            var project = Path.Combine(folder, "app");
            Directory.CreateDirectory(project);
            await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), code.Replace("http://localhost:50051", server.Process.GrpcAddress.ToString().TrimEnd('/')));
            await File.WriteAllTextAsync(Path.Combine(project, "App.csproj"), Project());
            var (built, output) = await RunAsync("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "q", "-o", Path.Combine(project, "out")], folder, TimeSpan.FromMinutes(3));
            Assert.True(built == 0, $"{name} does not compile:\n{output}");

            var start = new ProcessStartInfo("dotnet", [Path.Combine(project, "out", "App.dll")])
            {
                WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            start.Environment["TIMELY_API_KEY"] = server.Process.AdminKey;
            start.Environment["TIMELY_WEBHOOK_SECRET"] = "whsec_" + Convert.ToBase64String(new byte[32]);
            start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
            using var snippet = Process.Start(start)!;
            var stdout = new System.Text.StringBuilder();
            var stderr = new System.Text.StringBuilder();
            snippet.OutputDataReceived += (_, e) => { lock (stdout) { stdout.AppendLine(e.Data); } };
            snippet.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) { stderr.AppendLine(e.Data); } };
            snippet.BeginOutputReadLine();
            snippet.BeginErrorReadLine();
            for (var waited = 0; !snippet.HasExited && Length(stdout) == 0 && waited < 600; waited++)
            {
                await Task.Delay(100);
            }
            var running = !snippet.WaitForExit(1000);
            if (running)
            {
                snippet.Kill(entireProcessTree: true);
            }
            await snippet.WaitForExitAsync();
            Assert.True(Length(stderr) == 0, $"{name} wrote to stderr:\n{stderr}");
            Assert.True(running ? Length(stdout) > 0 : snippet.ExitCode == 0, $"{name} ended with {(running ? "nothing written" : snippet.ExitCode)}:\n{stdout}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>An ASP.NET Core app (so that a receiver snippet has its types) referencing the assemblies of
    /// this test's own build: Timely.Client and what it depends on, no package restore.</summary>
    private static string Project()
    {
        var references = string.Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("Grpc.", StringComparison.Ordinal) || n.StartsWith("Google.", StringComparison.Ordinal) || n == "Timely.Client.dll"))
            .Select(f => $"\n    <Reference Include=\"{f}\" />"));
        return $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>{references}
              </ItemGroup>
            </Project>
            """;
    }

    private static List<(string Name, string Code)> All()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "clients/csharp/Timely.Client/README.md"));
        var root = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var start = root.IndexOf("## Client SDKs", StringComparison.Ordinal);
        var section = root[start..root.IndexOf("\n## ", start + 1, StringComparison.Ordinal)];
        return [
            .. CodeBlocks(readme).Select((code, i) => ($"clients/csharp/Timely.Client/README.md block {i + 1}", code)),
            .. CodeBlocks(section).Select((code, i) => ($"README.md, Client SDKs, csharp block {i + 1}", code)),
        ];
    }

    /// <summary>The fenced csharp blocks (indented ones too, as under a list item), without their indent.</summary>
    private static IEnumerable<string> CodeBlocks(string markdown) =>
        CsharpBlock().Matches(markdown).Select(m => string.Join('\n', m.Groups[2].Value.Split('\n')
            .Select(line => line.Length >= m.Groups[1].Length && line[..m.Groups[1].Length].Trim().Length == 0 ? line[m.Groups[1].Length..] : line)));

    [GeneratedRegex(@"^( *)```csharp\n(.*?)^\1```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CsharpBlock();

    private static int Length(System.Text.StringBuilder text)
    {
        lock (text)
        {
            return text.ToString().Trim().Length;
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string folder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, args) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await output + await errors);
    }
}
