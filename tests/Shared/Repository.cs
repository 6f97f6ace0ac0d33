namespace Timely.Testing;

/// <summary>The checkout the tests were built from: for tests of its scripts, templates and files.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The release, from VERSION.</summary>
    public static string Version => File.ReadAllText(Path.Combine(Root, "VERSION")).Trim();

    public static string ReadFile(string path) => File.ReadAllText(Path.Combine(Root, path));

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
