using System.Text.RegularExpressions;

namespace Timely.Testing;

/// <summary>What deploy/Dockerfile says of the server's image, for the tests that run the server as the image
/// does and for the benchmarks, which run it with the image's GC settings.</summary>
public static partial class ContainerImage
{
    public static string Dockerfile { get; } = Repository.ReadFile("deploy/Dockerfile");

    /// <summary>The ENV instructions of the image: KEY=VALUE pairs over continued lines.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } =
        EnvInstruction().Matches(Dockerfile.Replace("\\\n", " "))
            .SelectMany(m => Pair().Matches(m.Groups[1].Value))
            .ToDictionary(p => p.Groups[1].Value, p => p.Groups[2].Value);

    /// <summary>The garbage collector's settings of the image (DOTNET_GC*): the runtime reads them from the
    /// environment only.</summary>
    public static IReadOnlyDictionary<string, string> GcSettings { get; } =
        Environment.Where(e => e.Key.StartsWith("DOTNET_GC", StringComparison.Ordinal)).ToDictionary();

    [GeneratedRegex(@"(?m)^ENV (.+)$")]
    private static partial Regex EnvInstruction();

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Pair();
}
