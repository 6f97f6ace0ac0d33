using System.Globalization;

namespace Timely.Bench;

/// <summary>CPU time (user + system, from /proc) of the processes a run involves: the server process(es),
/// the PostgreSQL cluster (its postmaster, its children, and the children that exited, which the postmaster
/// reaped), the client (this process and the h2load processes it reaped), and the whole machine; the part
/// of the servers' time their JIT spent tiering code up (the runtime's ".NET Tiered Com" thread); the CPU time
/// of SQLite's single writer (the servers' "sqlite writer" thread, in nanoseconds from its schedstat); and the
/// bytes the servers and the cluster wrote to storage (write_bytes of /proc/PID/io: files, not sockets).</summary>
public sealed class UsageMeter(IReadOnlyList<int> serverPids, int? postmasterPid)
{
    /// <summary>Clock ticks per second in /proc (USER_HZ, 100 on Linux whatever the kernel's own HZ).</summary>
    private const double TicksPerSecond = 100;

    public sealed record Sample(long Server, long Tiering, long? WriterNs, long Postgres, long Client, long MachineBusy, long MachineAll, long Written);

    /// <summary>Milliseconds of CPU between two samples, per call; the share of the servers' CPU their JIT spent
    /// tiering code up; microseconds of the SQLite writer's CPU per call (null without one: PostgreSQL, an older build);
    /// the share of the machine's CPU other processes used; kilobytes written to storage per call.</summary>
    public sealed record Usage(double ServerMs, double? PostgresMs, double ClientMs, double TieringPercent, double? WriterUs, double OthersPercent, double WrittenKb);

    public Sample Take()
    {
        var server = serverPids.Sum(pid => Times(pid).Own);
        var tiering = serverPids.Sum(pid => ThreadTicks(pid, ".NET Tiered Com"));
        var writers = serverPids.Select(WriterNanoseconds).Where(ns => ns is not null).ToList();
        var written = serverPids.Sum(WrittenBytes);
        long postgres = 0;
        if (postmasterPid is { } postmaster)
        {
            var (own, reaped) = Times(postmaster);
            var backends = Children(postmaster).ToList();
            postgres = own + reaped + backends.Sum(pid => Times(pid).Own);
            // Of the cluster's processes alive now (its backends and writers live as long as the run).
            written += WrittenBytes(postmaster) + backends.Sum(WrittenBytes);
        }
        var (self, children) = Times(Environment.ProcessId);
        // The first line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ...".
        var machine = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var all = machine.Take(8).Sum();
        return new Sample(server, tiering, writers.Count == 0 ? null : writers.Sum(), postgres, self + children, all - machine[3] - machine[4], all, written);
    }

    public Usage Between(Sample before, Sample after, long calls)
    {
        double PerCall(long ticks) => calls == 0 ? double.NaN : ticks * 1000 / TicksPerSecond / calls;
        var ours = (after.Server - before.Server) + (after.Postgres - before.Postgres) + (after.Client - before.Client);
        var others = (after.MachineBusy - before.MachineBusy) - ours;
        return new Usage(
            PerCall(after.Server - before.Server),
            postmasterPid is null ? null : PerCall(after.Postgres - before.Postgres),
            PerCall(after.Client - before.Client),
            // The tiering thread ends when idle and starts again: what an ended one did is not counted.
            100.0 * Math.Max(0, after.Tiering - before.Tiering) / Math.Max(1, after.Server - before.Server),
            after.WriterNs - before.WriterNs is { } writerNs && calls > 0 ? writerNs / 1000.0 / calls : null,
            100.0 * Math.Max(0, others) / Math.Max(1, after.MachineAll - before.MachineAll),
            calls == 0 ? double.NaN : Math.Max(0, after.Written - before.Written) / 1024.0 / calls);
    }

    /// <summary>A process's own CPU ticks (all its threads) and those of its children it has waited for.</summary>
    private static (long Own, long Reaped) Times(int pid)
    {
        var f = StatFields($"/proc/{pid}");
        return f is null ? (0, 0) : (f[11] + f[12], f[13] + f[14]);
    }

    /// <summary>The bytes a process has caused to be written to storage (files, not pipes or sockets); 0 once it is gone.</summary>
    private static long WrittenBytes(int pid)
    {
        var line = ReadOrEmpty($"/proc/{pid}/io").Split('\n').FirstOrDefault(l => l.StartsWith("write_bytes:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["write_bytes:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The CPU ticks of a process's threads whose name starts with <paramref name="name"/> (the runtime's
    /// tiered-compilation thread, ".NET Tiered Com", recompiles hot methods).</summary>
    private static long ThreadTicks(int pid, string name) =>
        Threads(pid, name).Sum(task => StatFields(task) is { } f ? f[11] + f[12] : 0);

    /// <summary>The CPU time of a server's SQLite writer thread (Storage/Sqlite/SqliteGroupCommit.cs names it), in
    /// nanoseconds: the first field of its schedstat, finer than the stat file's ticks of 10 ms. Null without one.</summary>
    private static long? WriterNanoseconds(int pid)
    {
        var task = Threads(pid, "sqlite writer").FirstOrDefault();
        var schedstat = task is null ? "" : ReadOrEmpty(Path.Combine(task, "schedstat"));
        return long.TryParse(schedstat.Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ns) ? ns : null;
    }

    /// <summary>The /proc folders of a process's threads whose name starts with <paramref name="name"/>.</summary>
    private static List<string> Threads(int pid, string name)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Where(task => ReadOrEmpty(Path.Combine(task, "comm")).StartsWith(name, StringComparison.Ordinal)).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static IEnumerable<int> Children(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && StatFields($"/proc/{pid}") is { } f && f[1] == parent);

    /// <summary>The fields of the stat file of a process or thread (its /proc folder) after the command name:
    /// [0] is field 3 (state), [1] the parent's pid, [11]/[12] utime/stime, [13]/[14] cutime/cstime. Null once
    /// it is gone.</summary>
    private static long[]? StatFields(string folder)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(folder, "stat"));
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ').Take(15)
                .Select(f => long.TryParse(f, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
