using Npgsql;

namespace Timely.Server.Storage.Postgres;

/// <summary>Wakes this replica's subscribers when another replica changes a conversation, through
/// LISTEN on one dedicated connection. When that connection drops, it reconnects with backoff and
/// wakes everyone, since notifications sent meanwhile are lost: subscribers catch up from the store.</summary>
public sealed partial class PostgresChangeListener(
    Microsoft.Extensions.Options.IOptions<StorageOptions> options, IChangeObserver subscribers, PostgresChangeNotifier notifier,
    ILogger<PostgresChangeListener> logger)
    : BackgroundService
{
    public const string ApplicationName = "timely-listener";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Provider != StorageOptions.PostgresProvider)
        {
            return;
        }
        var connectionString = new NpgsqlConnectionStringBuilder(options.Value.PostgresConnectionString)
        {
            ApplicationName = ApplicationName,
            Pooling = false,
            KeepAlive = 10,
        }.ToString();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (ChangePayload.TryParse(e.Payload, out var replica, out var change) && replica != notifier.ReplicaId)
                    {
                        subscribers.Changed(change.Workspace, change.ConversationId);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresChangeNotifier.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Anything committed while no connection listened is read now.
                subscribers.ChangedAll();
                backoff = TimeSpan.FromMilliseconds(100);
                LogListening();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogLost(e, backoff.TotalMilliseconds);
                subscribers.ChangedAll();
                try
                {
                    await Task.Delay(backoff, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for changes of other replicas")]
    private partial void LogListening();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change notifications lost; reconnecting in {DelayMs} ms")]
    private partial void LogLost(Exception exception, double delayMs);
}
