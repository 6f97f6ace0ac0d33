using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>Configuration section "Drafts".</summary>
public sealed class DraftOptions
{
    public const string Section = "Drafts";

    /// <summary>A reply draft that receives no text for this long is abandoned.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Runs reply drafts: one live draft per conversation on this replica; each piece of text is
/// published at once (<see cref="LiveHub"/>); the whole text is committed as one message by the caller's
/// <c>commit</c> (the same append path as SendMessage). A draft is abandoned, and its subscribers told,
/// when its call ends without completing, when the conversation is handed to a human or closed
/// mid-draft, when no text arrives for <see cref="DraftOptions.IdleTimeout"/>, or when the text or the
/// message is refused.</summary>
public sealed class ReplyDrafts(LiveHub hub, ChangeSignals signals, IConversationStore store, IOptions<DraftOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, Guid> active = new();
    private readonly LiveHub hub = hub;
    private readonly ChangeSignals signals = signals;
    private readonly IConversationStore store = store;
    private readonly IOptions<DraftOptions> options = options;
    private readonly TimeProvider clock = clock;

    /// <summary>Pieces of one delta at most this long, so that every item crosses replicas in one notification.</summary>
    public const int MaxPieceChars = 1000;

    /// <summary>Reads pieces with <paramref name="next"/> (null at the end) and commits the whole text. With
    /// <paramref name="live"/> false (a retry of a draft already committed) nothing is published.</summary>
    public async Task<AppendResult> RunAsync(
        string workspace, Conversation conversation, Guid senderId, bool live,
        Func<CancellationToken, Task<string?>> next, Func<string, CancellationToken, Task<AppendResult>> commit, CancellationToken ct)
    {
        var draftId = Guid.CreateVersion7(clock.GetUtcNow());
        if (live && !active.TryAdd(conversation.Id, draftId))
        {
            throw new TransitionRefusedException("DRAFT_IN_PROGRESS", conversation.Status,
                "a reply draft is already in progress in this conversation: one live draft per conversation");
        }
        var draft = new Draft(this, workspace, conversation, draftId, senderId, live);
        try
        {
            return await draft.RunAsync(next, commit, ct);
        }
        finally
        {
            if (live)
            {
                active.TryRemove(new KeyValuePair<Guid, Guid>(conversation.Id, draftId));
            }
        }
    }

    private sealed class Draft(ReplyDrafts owner, string workspace, Conversation conversation, Guid draftId, Guid senderId, bool live)
    {
        private readonly StringBuilder text = new();
        private long bytes;
        private long lastText = Environment.TickCount64;
        private DraftAbandonReason? stopped;
        private Exception? stopError;

        public async Task<AppendResult> RunAsync(
            Func<CancellationToken, Task<string?>> next, Func<string, CancellationToken, Task<AppendResult>> commit, CancellationToken ct)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var watcher = live ? WatchAsync(stop, watching.Token) : Task.CompletedTask;
            try
            {
                Publish(DraftState.Started, "", 0);
                while (true)
                {
                    string? piece;
                    try
                    {
                        piece = await next(stop.Token);
                    }
                    catch (Exception) when (stopped is not null)
                    {
                        throw Abandon(stopped.Value, stopError!);
                    }
                    catch (Exception e)
                    {
                        throw Abandon(e is InvalidArgumentException ? DraftAbandonReason.Refused : DraftAbandonReason.Cancelled, e);
                    }
                    if (piece is null)
                    {
                        break;
                    }
                    Append(piece);
                }
                await watching.CancelAsync();
                await watcher;
                if (stopped is not null)
                {
                    throw Abandon(stopped.Value, stopError!);
                }
                // Every delta leaves for the other replicas before the message is committed.
                await owner.hub.FlushAsync(ct);
                AppendResult result;
                try
                {
                    result = await commit(text.ToString(), ct);
                }
                catch (TransitionRefusedException e)
                {
                    throw Abandon(e.Current == ConversationStatus.Closed ? DraftAbandonReason.Closed : DraftAbandonReason.HandedOff, e);
                }
                catch (Exception e)
                {
                    throw Abandon(ct.IsCancellationRequested ? DraftAbandonReason.Cancelled : DraftAbandonReason.Refused, e);
                }
                if (live)
                {
                    owner.hub.Publish(Item(DraftState.Committed, "", 0, result.Message.Sequence, null) with { AfterSequence = result.Message.Sequence });
                }
                owner.hub.MessageAppended(workspace, result.Conversation, SenderType.AiAgent, result.Message.SenderId);
                return result;
            }
            finally
            {
                await watching.CancelAsync();
                await watcher;
            }
        }

        private void Append(string piece)
        {
            var pieceBytes = Encoding.UTF8.GetByteCount(piece);
            if (bytes + pieceBytes > Limits.MaxContentBytes)
            {
                throw Abandon(DraftAbandonReason.Refused, new InvalidArgumentException("text",
                    $"the draft must be at most {Limits.MaxContentBytes} bytes of UTF-8 in all, like a message's content"));
            }
            if (piece.Contains('\0'))
            {
                throw Abandon(DraftAbandonReason.Refused, new InvalidArgumentException("text", "must not contain U+0000 (NUL)"));
            }
            Interlocked.Exchange(ref lastText, Environment.TickCount64);
            for (var at = 0; at < piece.Length;)
            {
                var length = Math.Min(MaxPieceChars, piece.Length - at);
                if (at + length < piece.Length && char.IsHighSurrogate(piece[at + length - 1]))
                {
                    length--;
                }
                var part = piece.Substring(at, length);
                Publish(DraftState.Delta, part, bytes);
                text.Append(part);
                bytes += Encoding.UTF8.GetByteCount(part);
                at += length;
            }
        }

        /// <summary>Stops the draft when the conversation leaves the AI (handoff, close) or no text arrives in time.</summary>
        private async Task WatchAsync(CancellationTokenSource stop, CancellationToken ct)
        {
            var idle = owner.options.Value.IdleTimeout;
            using var subscription = owner.signals.Subscribe(workspace, conversation.Id);
            try
            {
                // Read once before waiting: a change made between the caller's read and the subscription counts.
                for (var changed = true; ; changed = subscription.TakeStoreChange())
                {
                    var current = changed ? await owner.store.GetConversationAsync(workspace, conversation.Id, ct) : null;
                    if (current is null || current.Status is ConversationStatus.Open or ConversationStatus.Waiting)
                    {
                        var quiet = TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref lastText));
                        if (quiet >= idle)
                        {
                            stopError = new DraftIdleException($"no text arrived for {idle.TotalSeconds:0.###} s: the reply draft was abandoned");
                            stopped = DraftAbandonReason.Idle;
                            await stop.CancelAsync();
                            return;
                        }
                        await subscription.WaitAsync(idle - quiet, TimeProvider.System, ct);
                        continue;
                    }
                    try
                    {
                        Lifecycle.Apply(current, LifecycleAction.AiAgentMessage, DateTimeOffset.UtcNow);
                    }
                    catch (TransitionRefusedException e)
                    {
                        stopError = e;
                    }
                    stopped = current.Status == ConversationStatus.Closed ? DraftAbandonReason.Closed : DraftAbandonReason.HandedOff;
                    await stop.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (StoreUnavailableException)
            {
                // The commit finds out; the draft goes on meanwhile.
            }
        }

        /// <summary>Tells the subscribers the draft was abandoned; returns the error to end the call with.</summary>
        private Exception Abandon(DraftAbandonReason reason, Exception error)
        {
            if (live)
            {
                owner.hub.Publish(Item(DraftState.Abandoned, "", 0, 0, reason));
            }
            live = false; // told once
            return error;
        }

        private void Publish(DraftState state, string delta, long offset)
        {
            if (live)
            {
                owner.hub.Publish(Item(state, delta, offset, 0, null));
            }
        }

        private LiveItem Item(DraftState state, string delta, long offset, long sequence, DraftAbandonReason? reason) =>
            new(workspace, conversation, new DraftUpdate(draftId, state, delta, offset, senderId, sequence, reason, owner.clock.GetUtcNow()), null);
    }
}
