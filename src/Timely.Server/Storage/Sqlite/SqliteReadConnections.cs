using System.Collections.Concurrent;

namespace Timely.Server.Storage.Sqlite;

/// <summary>The pool of read connections. Microsoft.Data.Sqlite's own pool keeps a connection's handle, but
/// finalizes its prepared statements when it is closed: this one keeps connections open, with their statements
/// prepared (<see cref="PreparedStatementConnection"/>). A read takes an idle connection or opens one; giving it
/// back (disposing it) keeps it for the next read, up to <see cref="MaxIdle"/>, and closes the rest.</summary>
/// <remarks>An open connection reads its file even after the file was moved or deleted: an idle one is handed
/// out only while the database is still at its path, so a database taken away shows as unavailable (and the
/// health check as NOT_SERVING). The path is looked at again at most every <see cref="PathCheckInterval"/>:
/// a stat per read was 5 % of GetConversation's CPU.</remarks>
internal sealed class SqliteReadConnections(
    string databasePath, Func<Action<PreparedStatementConnection>, CancellationToken, Task<PreparedStatementConnection>> open) : IDisposable
{
    // Reads run synchronously on the thread pool's threads (Microsoft.Data.Sqlite has no asynchronous I/O),
    // so about as many run at once as there are busy threads.
    private static readonly int MaxIdle = Math.Max(8, 4 * Environment.ProcessorCount);

    public static readonly TimeSpan PathCheckInterval = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentBag<PreparedStatementConnection> idle = [];
    private int idleCount;
    private volatile bool disposed;
    private long nextPathCheck;   // Environment.TickCount64 after which the path is looked at again

    public async Task<PreparedStatementConnection> OpenAsync(CancellationToken ct)
    {
        while (idle.TryTake(out var connection))
        {
            Interlocked.Decrement(ref idleCount);
            if (DatabaseIsAtItsPath())
            {
                return connection;
            }
            connection.CloseForGood();
        }
        return await open(Release, ct);
    }

    private bool DatabaseIsAtItsPath()
    {
        var now = Environment.TickCount64;
        if (now < Volatile.Read(ref nextPathCheck))
        {
            return true;
        }
        if (!File.Exists(databasePath))
        {
            return false;
        }
        Volatile.Write(ref nextPathCheck, now + (long)PathCheckInterval.TotalMilliseconds);
        return true;
    }

    public void Dispose()
    {
        disposed = true;
        while (idle.TryTake(out var connection))
        {
            connection.CloseForGood();
        }
    }

    private void Release(PreparedStatementConnection connection)
    {
        if (disposed)
        {
            connection.CloseForGood();
            return;
        }
        if (Interlocked.Increment(ref idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref idleCount);
            connection.CloseForGood();
            return;
        }
        idle.Add(connection);
        if (disposed)
        {
            Dispose();   // given back while the pool was being disposed
        }
    }
}
