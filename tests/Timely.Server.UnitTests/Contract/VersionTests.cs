using System.Text.Json;
using System.Text.RegularExpressions;
using Timely.Server.Hosting;
using Timely.Testing;

namespace Timely.Server.UnitTests.Contract;

/// <summary>The server and the three SDK packages carry one version, VERSION's.</summary>
public sealed class VersionTests
{
    [Fact]
    public void TheServerReportsTheVersion() => Assert.Equal(Repository.Version, ServerVersion.Current);

    [Fact]
    public void TheSdkPackagesCarryTheVersion()
    {
        var npm = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "clients/js/package.json")));
        Assert.Equal(Repository.Version, npm.RootElement.GetProperty("version").GetString());
        var pyproject = File.ReadAllText(Path.Combine(Repository.Root, "clients/python/pyproject.toml"));
        Assert.Equal(Repository.Version, Regex.Match(pyproject, "(?m)^version = \"([^\"]*)\"").Groups[1].Value);
        // The NuGet package takes its version from the same MSBuild property as the server.
        var csproj = File.ReadAllText(Path.Combine(Repository.Root, "clients/csharp/Timely.Client/Timely.Client.csproj"));
        Assert.DoesNotContain("<Version>", csproj);
    }

    [Fact]
    public void TheChangelogDescribesTheVersion()
    {
        var changelog = File.ReadAllText(Path.Combine(Repository.Root, "CHANGELOG.md"));
        Assert.Contains($"## [{Repository.Version}]", changelog);
        Assert.Contains("## [0.1.0]", changelog);
    }

    [Fact]
    public async Task TheVersionScriptFindsAPackageLeftBehind()
    {
        var scratch = Directory.CreateTempSubdirectory("timely-version-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(scratch, "scripts"));
            File.Copy(Path.Combine(Repository.Root, "scripts/version.sh"), Path.Combine(scratch, "scripts/version.sh"));
            File.WriteAllText(Path.Combine(scratch, "VERSION"), "9.8.7\n");
            foreach (var file in new[] { "clients/js/package.json", "clients/js/package-lock.json", "clients/python/pyproject.toml" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(scratch, file))!);
                File.Copy(Path.Combine(Repository.Root, file), Path.Combine(scratch, file));
            }

            var (left, output) = await VersionScript(scratch);
            Assert.Equal(1, left);
            Assert.Contains("clients/python/pyproject.toml has version", output);

            var (set, _) = await VersionScript(scratch, "set", "9.8.7");
            Assert.Equal(0, set);
            var (check, checkOutput) = await VersionScript(scratch);
            Assert.True(check == 0, checkOutput);
            Assert.Contains("\"version\": \"9.8.7\"", File.ReadAllText(Path.Combine(scratch, "clients/js/package.json")));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static Task<(int ExitCode, string Output)> VersionScript(string root, params string[] arguments) =>
        Script.RunAsync(Path.Combine(root, "scripts/version.sh"), arguments);
}
