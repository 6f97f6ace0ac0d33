using Microsoft.Extensions.DependencyInjection;
using Timely.Client;
using Timely.Testing;

namespace Timely.Client.Tests;

/// <summary>The real server (the build of src/Timely.Server of the same configuration, or
/// TIMELY_SERVER_DLL) as a process on SQLite, and SDK clients of it.</summary>
public sealed class SdkServer : IDisposable
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("timely-sdk-").FullName;

    public SdkServer() : this(new Dictionary<string, string>()) { }

    /// <summary>A server with extra <paramref name="settings"/> (configuration keys or environment variables);
    /// internal, since a class fixture has one public constructor.</summary>
    internal SdkServer(IDictionary<string, string> settings)
    {
        Process = new ServerProcess(ServerDll(), new Dictionary<string, string>(settings)
        {
            ["Storage:Sqlite:Path"] = Path.Combine(dataFolder, "timely.db"),
        });
        Process.StartAsync().GetAwaiter().GetResult();
    }

    public ServerProcess Process { get; }

    public TimelyClientOptions Options => new() { Address = Process.GrpcAddress, ApiKey = Process.AdminKey, MaxReconnectDelay = TimeSpan.FromMilliseconds(500) };

    public TimelyClient NewClient() => new(Options);

    public TimelyClient NewClientFromContainer()
    {
        var services = new ServiceCollection();
        services.AddTimelyClient(o =>
        {
            o.Address = Options.Address;
            o.ApiKey = Options.ApiKey;
        });
        return services.BuildServiceProvider().GetRequiredService<TimelyClient>();
    }

    public void Dispose()
    {
        Process.Dispose();
        Directory.Delete(dataFolder, recursive: true);
    }

    private static string ServerDll()
    {
        if (Environment.GetEnvironmentVariable("TIMELY_SERVER_DLL") is { Length: > 0 } dll)
        {
            return dll;
        }
        // .../clients/csharp/Timely.Client.Tests/bin/<Configuration>/net10.0/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = output.Parent!.Name;
        var repository = output.Parent.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(repository, "src", "Timely.Server", "bin", configuration, "net10.0", "timely-server.dll");
    }
}
