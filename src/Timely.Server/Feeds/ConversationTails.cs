using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>The live subscribers of one conversation share their reads of its tail: woken by the same
/// message, 1,000 subscribers cost one read of the conversation and its new messages, not 1,000.
/// A subscriber joins a read only if that read took its tick after the wake-up that woke it
/// (see <see cref="ChangeSignals"/>), so a shared read never hides a change.</summary>
public sealed class ConversationTails(IConversationStore store, ChangeSignals signals)
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Workspace, Guid Conversation), Tail> tails = [];

    /// <summary>The conversation as read, and its messages after the position asked for (at most a batch).</summary>
    public sealed record Snapshot(Conversation? Conversation, IReadOnlyList<Message> Messages);

    /// <summary>Follows one conversation's tail until disposed; the last follower's leaving forgets it.</summary>
    public Follower Follow(string workspace, Guid conversationId)
    {
        var key = (workspace, conversationId);
        lock (gate)
        {
            if (!tails.TryGetValue(key, out var tail))
            {
                tails[key] = tail = new Tail();
            }
            tail.Followers++;
            return new Follower(this, key, tail);
        }
    }

    private Task<Snapshot> Read((string Workspace, Guid Conversation) key, Tail tail, long afterSequence, int limit, long notBefore)
    {
        Flight flight;
        var start = false;
        lock (gate)
        {
            if (tail.Latest is { } latest && latest.Tick > notBefore && latest.AfterSequence == afterSequence
                && latest.Limit == limit && !latest.Read.IsFaulted)
            {
                flight = latest;
            }
            else
            {
                flight = tail.Latest = new Flight(signals.Tick(), afterSequence, limit);
                start = true;
            }
        }
        if (start)
        {
            _ = RunAsync(key, flight);
        }
        return flight.Read;
    }

    private async Task RunAsync((string Workspace, Guid Conversation) key, Flight flight)
    {
        try
        {
            await Task.Yield(); // the store may answer synchronously (SQLite): let the other followers join first
            // The conversation first: if it is closed in this read, every message up to its last
            // sequence is committed, so reading up to there delivers everything before the close.
            var conversation = await store.GetConversationAsync(key.Workspace, key.Conversation, CancellationToken.None);
            var messages = conversation is not null && conversation.LastSequence > flight.AfterSequence
                ? await store.ListMessagesAsync(key.Workspace, key.Conversation, flight.AfterSequence, flight.Limit, CancellationToken.None)
                : [];
            flight.Completion.SetResult(new Snapshot(conversation, messages));
        }
        catch (Exception e)
        {
            flight.Completion.SetException(e); // each follower gets the error; a failed read is never shared again
        }
    }

    private void Leave((string Workspace, Guid Conversation) key, Tail tail)
    {
        lock (gate)
        {
            if (--tail.Followers == 0)
            {
                tails.Remove(key);
            }
        }
    }

    /// <summary>One subscriber's handle on a conversation's tail.</summary>
    public sealed class Follower : IDisposable
    {
        private readonly ConversationTails owner;
        private readonly (string Workspace, Guid Conversation) key;
        private readonly Tail tail;
        private bool disposed;

        internal Follower(ConversationTails owner, (string Workspace, Guid Conversation) key, Tail tail)
        {
            this.owner = owner;
            this.key = key;
            this.tail = tail;
        }

        /// <summary>Reads the conversation and its messages after <paramref name="afterSequence"/>, sharing a
        /// read that started after tick <paramref name="notBefore"/> if there is one.</summary>
        public Task<Snapshot> ReadAsync(long afterSequence, int limit, long notBefore, CancellationToken ct) =>
            owner.Read(key, tail, afterSequence, limit, notBefore).WaitAsync(ct);

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                owner.Leave(key, tail);
            }
        }
    }

    /// <summary>A conversation's followers and the newest read of its tail.</summary>
    internal sealed class Tail
    {
        public int Followers;
        public Flight? Latest;
    }

    /// <summary>One read of the tail, from the tick it took before it started.</summary>
    internal sealed class Flight(long tick, long afterSequence, int limit)
    {
        public long Tick { get; } = tick;
        public long AfterSequence { get; } = afterSequence;
        public int Limit { get; } = limit;
        public TaskCompletionSource<Snapshot> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<Snapshot> Read => Completion.Task;
    }
}
