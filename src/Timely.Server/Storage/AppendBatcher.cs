using System.Diagnostics;
using System.Threading.Channels;
using Timely.Server.Domain;

namespace Timely.Server.Storage;

/// <summary>An append waiting in <see cref="AppendBatcher"/>'s queue, and its caller's answer. With
/// <paramref name="inbound"/>, a channel's inbound message to the conversation its contact had open when the caller
/// looked: written only if it still is, and the answer is null when it is not written (the caller then ingests it on
/// its own; see ConversationStore.IngestCustomerMessageAsync).</summary>
internal sealed class PendingAppend(
    string workspace, Guid conversationId, NewMessage message, IdempotencyKey? key, CancellationToken ct, InboundAppend? inbound = null)
{
    public string Workspace => workspace;
    public Guid ConversationId => conversationId;
    public NewMessage Message => message;
    public IdempotencyKey? Key => key;
    public CancellationToken Ct => ct;
    public InboundAppend? Inbound => inbound;
    public TaskCompletionSource<AppendResult?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The caller's span, where the transaction that writes the append belongs.</summary>
    public Activity? Caller { get; } = Activity.Current;
}

/// <summary>What makes an append an inbound message: its channel and contact, and the channel's id of the message.</summary>
internal sealed record InboundAppend(Guid ChannelId, Guid ContactId, string? ExternalId);

/// <summary>The appends of this process that arrive while a batch is being written wait and are written
/// together, as the next batch: one transaction, each conversation locked and read once, all rows in one
/// round trip (<see cref="ConversationStore"/>'s AppendTogetherAsync). Under load this turns a round trip, a
/// commit and a lock per message into one per batch on PostgreSQL, and on SQLite (where SqliteGroupCommit commits
/// writes together already) a read and a row update per message into one per conversation and batch; alone, an
/// append is written at once.</summary>
internal sealed class AppendBatcher(Func<IReadOnlyList<PendingAppend>, Task> writeBatch) : IAsyncDisposable
{
    /// <summary>Appends per batch at most: ~5 statements each, in one transaction.</summary>
    public const int MaxBatch = 128;

    /// <summary>Batches written at once: while one waits for the database, the next is read and built.</summary>
    public const int Lanes = 2;

    private readonly Channel<PendingAppend> queue = Channel.CreateUnbounded<PendingAppend>();
    private readonly Lock startGate = new();
    private Task? loop;

    /// <summary>The append's result once its batch has committed. A caller that gives up (<paramref name="append"/>'s
    /// token) stops waiting; its append may still be written, as when a call is cancelled during its commit.</summary>
    public Task<AppendResult?> AppendAsync(PendingAppend append)
    {
        EnsureStarted();
        if (!queue.Writer.TryWrite(append))
        {
            throw new ObjectDisposedException(nameof(AppendBatcher), "the store is shutting down");
        }
        return append.Result.Task.WaitAsync(append.Ct);
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        if (loop is not null)
        {
            await loop;
        }
    }

    private void EnsureStarted()
    {
        if (loop is null)
        {
            lock (startGate)
            {
                // The loop serves every caller: it must not carry the first one's context (its trace) along.
                using (ExecutionContext.SuppressFlow())
                {
                    loop ??= Task.WhenAll(Enumerable.Range(0, Lanes).Select(_ => Task.Run(RunAsync)));
                }
            }
        }
    }

    private async Task RunAsync()
    {
        while (await queue.Reader.WaitToReadAsync())
        {
            var batch = new List<PendingAppend>();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var append))
            {
                if (append.Ct.IsCancellationRequested)
                {
                    append.Result.TrySetCanceled(append.Ct);
                }
                else
                {
                    batch.Add(append);
                }
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await writeBatch(batch);
            }
            catch (Exception e)
            {
                foreach (var append in batch)
                {
                    append.Result.TrySetException(e);
                }
            }
        }
    }
}
