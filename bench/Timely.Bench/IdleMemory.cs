using System.Diagnostics;

namespace Timely.Bench;

/// <summary>The idle-stream memory figure alone (mode <c>memory</c>): this tree's server and, with a baseline build,
/// that one too, each in a fresh process, in one run. With a gcdump folder, a heap dump of each server is taken
/// while its streams are open (<c>dotnet-gcdump</c> from PATH or /tmp/tools).</summary>
public static class IdleMemory
{
    public static async Task RunAsync(string serverDll, string? baselineDll, int streams, string? gcdumpFolder)
    {
        Console.WriteLine($"Timely.Grpc idle-stream memory · {Environment.ProcessorCount} cores · {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB · .NET {Environment.Version}");
        Console.WriteLine($"Server resident memory (VmRSS) with {streams:N0} idle open streams (half StreamMessages over 100 conversations, half WatchConversations)");
        Console.WriteLine("  'files' = the part of 'before' that maps files (the runtime's and the assemblies' images)");
        if (gcdumpFolder is not null)
        {
            Console.WriteLine("  'dumped' = open, after the heap dump (which collects the whole heap): the figure without uncollected garbage");
        }
        Console.WriteLine($"{"build",-10} {"before MiB",10} {"files MiB",9} {"open MiB",9} {"KiB/stream",10} {"closed MiB",10}{(gcdumpFolder is null ? "" : $" {"dumped MiB",10} {"KiB/stream",10}")}");
        var builds = baselineDll is null ? [("this tree", serverDll)] : new[] { ("baseline", baselineDll), ("this tree", serverDll) };
        foreach (var (name, dll) in builds)
        {
            await using var server = await ServerUnderTest.StartAsync(dll);
            Func<Task>? whileOpen = gcdumpFolder is null ? null
                : () => GcDumpAsync(server.ProcessId, Path.Combine(gcdumpFolder, $"{name.Replace(' ', '-')}-{streams}.gcdump"));
            Print(name, await IdleStreamsMemory.RunAsync(server, streams, whileOpen));
        }
    }

    private static void Print(string build, IdleStreamsMemory.Result m) => Console.WriteLine(
        $"{build,-10} {m.BeforeBytes / 1048576.0,10:0.0} {m.BeforeFileBytes / 1048576.0,9:0.0} {m.OpenBytes / 1048576.0,9:0.0} {m.PerStreamKiB,10:0.0} {m.AfterBytes / 1048576.0,10:0.0}"
        + (m.OpenAfterDumpBytes == 0 ? "" : $" {m.OpenAfterDumpBytes / 1048576.0,10:0.0} {(m.OpenAfterDumpBytes - m.BeforeBytes) / 1024.0 / m.Streams,10:0.0}"));

    private static async Task GcDumpAsync(int processId, string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var tool = File.Exists("/tmp/tools/dotnet-gcdump") ? "/tmp/tools/dotnet-gcdump" : "dotnet-gcdump";
        using var dump = Process.Start(new ProcessStartInfo(tool, ["collect", "-p", processId.ToString(), "-o", file])
        {
            RedirectStandardOutput = true,
        })!;
        await dump.StandardOutput.ReadToEndAsync();
        await dump.WaitForExitAsync();
        Console.WriteLine(dump.ExitCode == 0 ? $"  gcdump: {file}" : $"  gcdump failed ({tool} exit {dump.ExitCode})");
    }
}
