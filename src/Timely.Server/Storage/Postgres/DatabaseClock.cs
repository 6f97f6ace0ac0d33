using Dapper;
using Npgsql;

namespace Timely.Server.Storage.Postgres;

/// <summary>The time of every replica, taken from the database: this machine's clock corrected by its
/// measured offset from PostgreSQL's clock, measured at start-up and every <see cref="Resync"/>. Replicas
/// whose own clocks disagree then agree on timestamps, on when a conversation has been idle long enough
/// to close, and on what retention deletes (to within the round trip of a measurement).</summary>
public sealed partial class DatabaseClock(TimeProvider local, NpgsqlDataSource dataSource, ILogger<DatabaseClock> logger)
    : TimeProvider, IHostedService, IDisposable
{
    public static readonly TimeSpan Resync = TimeSpan.FromMinutes(1);

    private long offsetTicks;
    private ITimer? timer;

    public override DateTimeOffset GetUtcNow() => local.GetUtcNow().AddTicks(Volatile.Read(ref offsetTicks));

    public override long GetTimestamp() => local.GetTimestamp();

    public override long TimestampFrequency => local.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => local.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        local.CreateTimer(callback, state, dueTime, period);

    /// <summary>Measures the offset once: the database's time against the middle of the round trip.</summary>
    public async Task SynchronizeAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var sent = local.GetUtcNow();
        var micros = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint", cancellationToken: ct));
        var received = local.GetUtcNow();
        var middle = sent + (received - sent) / 2;
        var offset = DateTimeOffset.UnixEpoch.AddTicks(micros * 10) - middle;
        Volatile.Write(ref offsetTicks, offset.Ticks);
        if (offset.Duration() > TimeSpan.FromSeconds(1))
        {
            LogSkew(offset.TotalMilliseconds);
        }
    }

    public async Task StartAsync(CancellationToken ct)
    {
        await SynchronizeAsync(ct);
        timer = local.CreateTimer(_ => _ = SynchronizeQuietlyAsync(), null, Resync, Resync);
    }

    public Task StopAsync(CancellationToken ct)
    {
        timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => timer?.Dispose();

    private async Task SynchronizeQuietlyAsync()
    {
        try
        {
            await SynchronizeAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            LogFailed(e);   // the last offset stays in use
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "This machine's clock is {OffsetMs:0} ms off the database's; using the database's time")]
    private partial void LogSkew(double offsetMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the database's clock; keeping the last offset")]
    private partial void LogFailed(Exception exception);
}
