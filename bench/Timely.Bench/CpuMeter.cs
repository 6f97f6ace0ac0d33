using System.Globalization;

namespace Timely.Bench;

/// <summary>CPU time (user + system, from /proc) of the processes a run involves: the server process(es),
/// the PostgreSQL cluster (its postmaster, its children, and the children that exited, which the postmaster
/// reaped), the client (this process and the h2load processes it reaped), and the whole machine; and the part
/// of the servers' time their JIT spent tiering code up (the runtime's ".NET Tiered Com" thread).</summary>
public sealed class CpuMeter(IReadOnlyList<int> serverPids, int? postmasterPid)
{
    /// <summary>Clock ticks per second in /proc (USER_HZ, 100 on Linux whatever the kernel's own HZ).</summary>
    private const double TicksPerSecond = 100;

    public sealed record Sample(long Server, long Tiering, long Postgres, long Client, long MachineBusy, long MachineAll);

    /// <summary>Milliseconds of CPU between two samples, per call; the share of the servers' CPU their JIT spent
    /// tiering code up; the share of the machine's CPU other processes used.</summary>
    public sealed record Usage(double ServerMs, double? PostgresMs, double ClientMs, double TieringPercent, double OthersPercent);

    public Sample Take()
    {
        var server = serverPids.Sum(pid => Times(pid).Own);
        var tiering = serverPids.Sum(TieringTicks);
        long postgres = 0;
        if (postmasterPid is { } postmaster)
        {
            var (own, reaped) = Times(postmaster);
            postgres = own + reaped + Children(postmaster).Sum(pid => Times(pid).Own);
        }
        var (self, children) = Times(Environment.ProcessId);
        // The first line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ...".
        var machine = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var all = machine.Take(8).Sum();
        return new Sample(server, tiering, postgres, self + children, all - machine[3] - machine[4], all);
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
            100.0 * Math.Max(0, others) / Math.Max(1, after.MachineAll - before.MachineAll));
    }

    /// <summary>A process's own CPU ticks (all its threads) and those of its children it has waited for.</summary>
    private static (long Own, long Reaped) Times(int pid)
    {
        var f = StatFields($"/proc/{pid}");
        return f is null ? (0, 0) : (f[11] + f[12], f[13] + f[14]);
    }

    /// <summary>The CPU ticks of a .NET process's tiered-compilation thread, which recompiles hot methods.</summary>
    private static long TieringTicks(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Where(task => ReadOrEmpty(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal))
                .Sum(task => StatFields(task) is { } f ? f[11] + f[12] : 0);
        }
        catch (IOException)
        {
            return 0;
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
