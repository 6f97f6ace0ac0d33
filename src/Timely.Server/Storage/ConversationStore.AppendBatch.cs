using System.Diagnostics;
using Timely.Server.Domain;
using Timely.Server.Observability;

namespace Timely.Server.Storage;

/// <summary>Appends written in batches (<see cref="AppendBatcher"/>): one transaction for all the appends that
/// queued while the previous batch was written.</summary>
public sealed partial class ConversationStore
{
    private AppendBatcher? appendBatcher;

    private AppendBatcher Appends => LazyInitializer.EnsureInitialized(ref appendBatcher, () => new AppendBatcher(AppendBatchAsync));

    public async ValueTask DisposeAsync()
    {
        if (appendBatcher is not null)
        {
            await appendBatcher.DisposeAsync();
        }
    }

    /// <summary>Writes a batch and answers each append: with its own result, or its own error (a closed or
    /// missing conversation fails that append only). A retried request id is answered on its own after the
    /// batch, as is every append of a batch whose write failed (a request id written at the same moment by
    /// another replica, say): then only the append at fault fails.</summary>
    private async Task AppendBatchAsync(IReadOnlyList<PendingAppend> batch)
    {
        if (batch.Count == 1 && batch[0].Inbound is null)
        {
            metrics.AppendBatchWritten(1, committed: true);
            await AnswerAloneAsync(batch[0]);
            return;
        }
        // The transaction's span belongs to the first call's trace and links the others'.
        Activity.Current = batch[0].Caller;
        var links = TimelyTracing.Source.HasListeners()
            ? batch.Skip(1).Where(a => a.Caller is not null).Select(a => new ActivityLink(a.Caller!.Context)).ToList()
            : null;
        object?[] outcomes;
        try
        {
            outcomes = await db.WriteAsync(w => AppendTogetherAsync(w, batch), CancellationToken.None, links);
            metrics.AppendBatchWritten(batch.Count, committed: true);
        }
        catch (StoreUnavailableException e)
        {
            foreach (var append in batch)
            {
                append.Result.TrySetException(e);
            }
            return;
        }
        catch (Exception e)
        {
            metrics.AppendBatchWritten(batch.Count, committed: false);
            LogBatchFailed(e, batch.Count);
            outcomes = new object?[batch.Count];
        }
        for (var i = 0; i < batch.Count; i++)
        {
            switch (outcomes[i])
            {
                case AppendResult result:
                    batch[i].Result.TrySetResult(result);
                    break;
                case Exception e:
                    batch[i].Result.TrySetException(e);
                    break;
                case null when batch[i].Inbound is not null:
                    batch[i].Result.TrySetResult(null);   // its caller ingests it on its own
                    break;
                default:
                    _ = AnswerAloneAsync(batch[i]);
                    break;
            }
        }
    }

    private async Task AnswerAloneAsync(PendingAppend a)
    {
        Activity.Current = a.Caller;
        try
        {
            a.Result.TrySetResult(await AppendAloneAsync(a.Workspace, a.ConversationId, a.Message, a.Key, a.Ct));
        }
        catch (OperationCanceledException) when (a.Ct.IsCancellationRequested)
        {
            a.Result.TrySetCanceled(a.Ct);
        }
        catch (Exception e)
        {
            a.Result.TrySetException(e);
        }
    }

    /// <summary>The batch in one transaction of two round trips before the commit. First each conversation's
    /// lock, taken in one order by every batch of every replica (so two batches never wait for each other in
    /// a cycle), its row, each request id's earlier result and each inbound message's earlier record; then every
    /// append in arrival order, each on the conversation as the appends before it left it, and each conversation's
    /// row once, all in one command. The outcome of each append: its <see cref="AppendResult"/>, its exception, or
    /// null for one answered on its own afterwards (an inbound message: by its caller, also when its conversation is
    /// no longer its contact's open one).</summary>
    private async Task<object?[]> AppendTogetherAsync(WriteTransaction w, IReadOnlyList<PendingAppend> batch)
    {
        var ct = CancellationToken.None;
        Activity.Current?.SetTag("timely.appends", batch.Count);
        var conversations = batch.Select(a => (a.Workspace, a.ConversationId)).Distinct()
            .OrderBy(c => ConversationLock(c.Workspace, c.ConversationId), StringComparer.Ordinal).ToList();
        var keyed = batch.Where(a => a.Key is not null).ToList();
        var reads = new StatementBatch();
        foreach (var (workspace, id) in conversations)
        {
            if (Dialect.LockSql is { } lockSql)
            {
                reads.Add(lockSql, new { LockKey = ConversationLock(workspace, id) });
            }
            reads.Add(StoreSql.GetConversation, new { Workspace = workspace, Id = id.ToString() });
        }
        foreach (var a in keyed)
        {
            reads.Add(FindRequest, new { a.Workspace, a.Key!.RequestId });
        }
        var fromChannels = batch.Where(a => a.Inbound?.ExternalId is not null).ToList();
        foreach (var a in fromChannels)
        {
            reads.Add(FindInbound, new { a.Workspace, ChannelId = a.Inbound!.ChannelId.ToString(), a.Inbound.ExternalId });
        }
        var current = new Dictionary<(string, Guid), Conversation?>();
        var changed = new HashSet<(string, Guid)>();
        var retried = new HashSet<PendingAppend>();
        using (var read = await Dialect.QueryAsync(reads, w, ct))
        {
            foreach (var conversation in conversations)
            {
                current[conversation] = await ReadLockedAsync(read, ct);
            }
            foreach (var a in keyed.Concat(fromChannels))
            {
                if (await read.SingleOrDefaultAsync(RequestRow.Read, ct) is not null)
                {
                    retried.Add(a);
                }
            }
        }

        var loaded = new Dictionary<(string, Guid), Conversation?>(current);
        var outcomes = new object?[batch.Count];
        var requestIds = new HashSet<(string, string)>();
        var channelIds = new HashSet<(string, Guid, string)>();
        var writes = new StatementBatch();
        for (var i = 0; i < batch.Count; i++)
        {
            var a = batch[i];
            if (retried.Contains(a) || (a.Key is { } key && !requestIds.Add((a.Workspace, key.RequestId)))
                || (a.Inbound is { ExternalId: { } externalId } inbound && !channelIds.Add((a.Workspace, inbound.ChannelId, externalId))))
            {
                // Its request id (or channel id) was written before, or earlier in this batch: answered from that record afterwards.
                continue;
            }
            if (a.Inbound is { } from && !IsOpenFor(current[(a.Workspace, a.ConversationId)], from))
            {
                continue;   // no longer its contact's open conversation: ingested on its own
            }
            try
            {
                var conversation = current[(a.Workspace, a.ConversationId)] ?? throw NotFoundException.Conversation(a.ConversationId);
                var now = Now();
                var (appended, after) = Append(w, writes, conversation, a.Message, now, saveRow: false);
                if (a.Inbound is { } received)
                {
                    RecordInbound(writes, a.Workspace, received.ChannelId, received.ExternalId, after.Id, appended.Id, now);
                }
                RecordRequest(writes, a.Workspace, a.Key, after.Id, appended.Id, now);
                current[(a.Workspace, a.ConversationId)] = after;
                changed.Add((a.Workspace, a.ConversationId));
                outcomes[i] = new AppendResult(appended, after, Duplicate: false);
            }
            catch (Exception e) when (e is NotFoundException or TransitionRefusedException or InvalidArgumentException)
            {
                outcomes[i] = e;
            }
        }
        // Each conversation's row once, as its last append left it: not a new row version (and index entries) per message.
        foreach (var conversation in conversations.Where(changed.Contains))
        {
            SaveRow(writes, loaded[conversation]!, current[conversation]!);
        }
        await writes.ExecuteAsync(w, db, ct);
        return outcomes;
    }

    /// <summary>True if <paramref name="conversation"/> is still one the inbound message's contact has open on its channel.</summary>
    private static bool IsOpenFor(Conversation? conversation, InboundAppend inbound) =>
        conversation is { Status: not ConversationStatus.Closed } open && open.ChannelId == inbound.ChannelId && open.ContactId == inbound.ContactId;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} appends failed; each is written on its own")]
    private partial void LogBatchFailed(Exception exception, int count);
}
