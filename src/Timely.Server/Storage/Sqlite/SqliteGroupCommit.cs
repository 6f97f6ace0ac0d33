using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Timely.Server.Observability;

namespace Timely.Server.Storage.Sqlite;

/// <summary>Group commit on SQLite's single writer connection. Concurrent writes queue; one loop takes
/// everything queued (up to <see cref="MaxBatch"/>), runs the writes in one transaction and commits them
/// together: one lock, one commit and (with synchronous = FULL) one sync for the whole group. A write that
/// fails fails alone (see <see cref="RunGroupAsync"/>); each write's caller gets its own result once the
/// group is committed, never before. <c>beforeCommit</c> runs in every group's transaction after its writes
/// (the dialect's: the full-text index of the group's new messages, <see cref="SqliteSearchSql.IndexNewMessages"/>).
///
/// The loop has a thread of its own ("sqlite writer"), not the thread pool's: the writer bounds every write on SQLite,
/// and as one operating-system thread its CPU, waits and profile can be measured alone (bench/README.md, 2026-12-04
/// (afternoon); no slower than the pool). Writes run on it as they are: SQLite's calls complete at once, and a write
/// that awaits something else holds the thread until it is done.</summary>
internal sealed class SqliteGroupCommit(
    Func<CancellationToken, Task<SqliteConnection>> openConnection, TimelyMetrics metrics, string? beforeCommit = null) : IAsyncDisposable
{
    private const int MaxBatch = 256;

    private readonly Channel<PendingWrite> queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock startGate = new();
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SqliteConnection? connection;
    private Thread? loop;

    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        EnsureStarted();
        var write = new PendingWrite<T>(work, ct);
        if (!queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(SqliteGroupCommit), "the store is shutting down");
        }
        return write.Result;
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        if (loop is not null)
        {
            await stopped.Task;
        }
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    private void EnsureStarted()
    {
        if (loop is null)
        {
            lock (startGate)
            {
                if (loop is null)
                {
                    // UnsafeStart: the loop serves every caller, so it must not carry the first one's context (its trace) along.
                    var thread = new Thread(Run) { IsBackground = true, Name = "sqlite writer" };
                    thread.UnsafeStart();
                    loop = thread;
                }
            }
        }
    }

    /// <summary>The writer's thread: waits for writes, commits them in groups, ends once the queue is completed and empty.</summary>
    private void Run()
    {
        try
        {
            var batch = new List<PendingWrite>(MaxBatch);
            while (queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var write))
                {
                    batch.Add(write);
                }
                CommitAsync(batch).GetAwaiter().GetResult();
                batch.Clear();
            }
        }
        finally
        {
            stopped.TrySetResult();
        }
    }

    private async Task CommitAsync(List<PendingWrite> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (connection is null)
            {
                connection = await openConnection(CancellationToken.None);
            }
            if (!await RunGroupAsync(batch, isolated: false))
            {
                await RunGroupAsync(batch, isolated: true);
            }
            metrics.GroupCommitted(batch.Count);
            foreach (var write in batch)
            {
                write.Complete();
            }
        }
        catch (Exception e)
        {
            // The transaction itself failed (I/O, a lock held by another process): no write of the group
            // is committed, each caller gets the error, and the next group starts on a fresh connection.
            foreach (var write in batch)
            {
                write.Fail(e);
            }
            if (connection is not null)
            {
                await connection.DisposeAsync();
                connection = null;
            }
        }
        finally
        {
            metrics.WriterBusy(Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Runs the group's writes in one transaction and commits it. Not isolated, the writes share the
    /// transaction as they are: a write that fails having changed nothing (a refusal, found by its reads)
    /// fails alone, and one that fails after changing rows makes the whole group roll back and return false,
    /// to run again isolated, each write in a savepoint (three more statements per write, which the common
    /// case does without).</summary>
    private async Task<bool> RunGroupAsync(List<PendingWrite> batch, bool isolated)
    {
        var db = connection!.Handle!;
        // Microsoft.Data.Sqlite begins IMMEDIATE: the write lock is taken now, not at the first write.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(CancellationToken.None);
        foreach (var write in batch.Where(w => !w.Failed))
        {
            if (write.CancellationToken.IsCancellationRequested)
            {
                write.Fail(new OperationCanceledException(write.CancellationToken));
                continue;
            }
            if (isolated)
            {
                Run("SAVEPOINT write", transaction);
            }
            var changesBefore = raw.sqlite3_total_changes(db);
            try
            {
                await write.RunAsync(connection, transaction);
                if (isolated)
                {
                    Run("RELEASE write", transaction);
                }
            }
            catch (Exception e) when (isolated)
            {
                Run("ROLLBACK TO write", transaction);
                Run("RELEASE write", transaction);
                write.Fail(e);
            }
            catch (Exception e) when (raw.sqlite3_total_changes(db) == changesBefore && raw.sqlite3_get_autocommit(db) == 0)
            {
                write.Fail(e);
            }
            catch when (raw.sqlite3_get_autocommit(db) == 0)
            {
                // Rows of the failed write are in the transaction: the group again, isolated. (When SQLite
                // has ended the transaction itself, on I/O errors, the group fails as a whole.)
                await transaction.RollbackAsync(CancellationToken.None);
                return false;
            }
        }
        if (beforeCommit is not null)
        {
            Run(beforeCommit, transaction);
        }
        await transaction.CommitAsync(CancellationToken.None);
        return true;
    }

    /// <summary>Runs one of the writer's own statements (a write's savepoint, what runs before each commit),
    /// prepared once by the writer's connection (a <see cref="PreparedStatementConnection"/>).</summary>
    private void Run(string sql, SqliteTransaction transaction)
    {
        using var command = connection!.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private abstract class PendingWrite(CancellationToken ct)
    {
        public CancellationToken CancellationToken { get; } = ct;

        public abstract Task RunAsync(DbConnection connection, DbTransaction transaction);

        /// <summary>Hands the write's result to its caller (once the group is committed).</summary>
        public abstract void Complete();

        public abstract void Fail(Exception exception);

        /// <summary>The write failed alone; a group run again leaves it out.</summary>
        public abstract bool Failed { get; }
    }

    private sealed class PendingWrite<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct) : PendingWrite(ct)
    {
        private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? result;
        private bool ran;

        public Task<T> Result => completion.Task;

        public override async Task RunAsync(DbConnection connection, DbTransaction transaction)
        {
            result = await work(connection, transaction);
            ran = true;
        }

        public override void Complete()
        {
            if (ran)
            {
                completion.TrySetResult(result!);
            }
        }

        public override void Fail(Exception exception) => completion.TrySetException(exception);

        public override bool Failed => completion.Task.IsFaulted || completion.Task.IsCanceled;
    }
}
