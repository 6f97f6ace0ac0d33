using System.Diagnostics;

namespace Timely.Bench;

/// <summary>A PostgreSQL cluster on loopback that someone else started (scripts/bench.sh starts a throwaway
/// one with scripts/postgres.sh): fresh databases for each run, and the postmaster's pid for CPU figures.</summary>
public sealed class PostgresCluster(int port)
{
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={port};Username=postgres;Database={database}";

    /// <summary>The postmaster's pid, from postmaster.pid in the cluster's data folder.</summary>
    public async Task<int> PostmasterPidAsync()
    {
        var dataDirectory = (await PsqlAsync("SHOW data_directory")).Trim();
        return int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First());
    }

    public async Task RecreateDatabaseAsync(string database)
    {
        await DropDatabaseAsync(database);
        await PsqlAsync($"CREATE DATABASE {database}");
    }

    public Task DropDatabaseAsync(string database) => PsqlAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");

    private async Task<string> PsqlAsync(string sql)
    {
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", "127.0.0.1", "-p", $"{port}", "-U", "postgres", "-d", "postgres", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql })
        {
            start.ArgumentList.Add(arg);
        }
        using var psql = Process.Start(start)!;
        var error = psql.StandardError.ReadToEndAsync();
        var output = await psql.StandardOutput.ReadToEndAsync();
        await psql.WaitForExitAsync();
        return psql.ExitCode == 0 ? output : throw new InvalidOperationException($"psql '{sql}' failed: {await error}");
    }
}
