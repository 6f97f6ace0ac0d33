using System.Text;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Feeds;

/// <summary>The live-only side of the feeds: reply draft updates and agent activity. An item published
/// here goes to this process's subscribers through <see cref="ChangeSignals.Publish"/> and to the other
/// replicas through the <see cref="ILiveRelay"/>; items of the other replicas arrive through
/// <see cref="ILiveObserver.Received"/>. The hub remembers every draft in progress and every activity that
/// has not expired, here and on the other replicas, so a subscriber that joins (or falls behind) gets a
/// snapshot: each draft's text so far as one delta at offset 0, and the current activities.</summary>
public sealed class LiveHub(ChangeSignals signals, ILiveRelay relay, TimeProvider clock) : ILiveObserver
{
    private readonly Lock gate = new();
    private readonly Dictionary<Guid, DraftText> drafts = [];
    private readonly Dictionary<(Guid Conversation, Guid Sender), LiveItem> activities = [];
    private long stamp;
    private const int PruneEvery = 1024;

    /// <summary>A remote draft not heard of for this long is forgotten (its replica may have died).</summary>
    public static readonly TimeSpan ForgetRemoteDraft = TimeSpan.FromMinutes(2);

    /// <summary>Publishes an item of this replica: here and to the other replicas. Returns it as published (stamped).</summary>
    public LiveItem Publish(LiveItem item)
    {
        item = Remember(item);
        signals.Publish(item);
        relay.Send(item);
        return item;
    }

    void ILiveObserver.Received(LiveItem item) => signals.Publish(Remember(item));

    /// <summary>Completes when every item published so far has left for the other replicas.</summary>
    public Task FlushAsync(CancellationToken ct) => relay.FlushAsync(ct);

    /// <summary>The drafts in progress and the activities that have not expired, of one conversation or of
    /// a whole workspace.</summary>
    public IReadOnlyList<LiveItem> Snapshot(string workspace, Guid? conversationId) => Snapshot(workspace, conversationId, out _);

    /// <summary>As above; <paramref name="upTo"/> is the stamp of the last item it holds the effect of: a
    /// subscriber skips the queued items stamped up to it.</summary>
    public IReadOnlyList<LiveItem> Snapshot(string workspace, Guid? conversationId, out long upTo)
    {
        var now = clock.GetUtcNow();
        var items = new List<LiveItem>();
        lock (gate)
        {
            upTo = stamp;
            foreach (var (id, d) in drafts)
            {
                if (d.Workspace == workspace && (conversationId is null || conversationId == id) && now - d.LastHeard < ForgetRemoteDraft)
                {
                    var text = d.Text.ToString();
                    items.Add(new LiveItem(workspace, d.Conversation, new DraftUpdate(
                        d.DraftId, text.Length == 0 ? DraftState.Started : DraftState.Delta, text, 0, d.SenderId, 0, null, d.LastHeard), null));
                }
            }
            foreach (var ((conversation, _), item) in activities)
            {
                if (item.Workspace == workspace && (conversationId is null || conversationId == conversation) && item.Activity!.ExpiresAt > now)
                {
                    items.Add(item);
                }
            }
        }
        return items;
    }

    /// <summary>Sets an agent's activity and publishes it; it ends by itself after <paramref name="ttl"/>
    /// (NONE is published then, unless it was set again or cleared meanwhile).</summary>
    public ActivityUpdate SetActivity(string workspace, Conversation conversation, AgentActivityKind kind, SenderType sender, Guid senderId, TimeSpan ttl)
    {
        var now = clock.GetUtcNow();
        var activity = new ActivityUpdate(kind, sender, senderId, kind == AgentActivityKind.None ? null : now + ttl, now);
        var item = Publish(new LiveItem(workspace, conversation, null, activity));
        if (kind != AgentActivityKind.None)
        {
            _ = ExpireAsync(item, ttl);
        }
        return activity;
    }

    /// <summary>A message of <paramref name="senderId"/> was appended: its activity in the conversation ends.</summary>
    public void MessageAppended(string workspace, Conversation conversation, SenderType sender, Guid? senderId)
    {
        if (senderId is not { } id)
        {
            return;
        }
        bool active;
        lock (gate)
        {
            active = activities.ContainsKey((conversation.Id, id));
        }
        if (active)
        {
            Publish(new LiveItem(workspace, conversation, null, new ActivityUpdate(AgentActivityKind.None, sender, id, null, clock.GetUtcNow()))
            {
                AfterSequence = conversation.LastSequence,
            });
        }
    }

    private async Task ExpireAsync(LiveItem item, TimeSpan ttl)
    {
        await Task.Delay(ttl, clock);
        var activity = item.Activity!;
        lock (gate)
        {
            // Only if it is still the current activity: setting it again or clearing it replaced it.
            if (!activities.TryGetValue((item.ConversationId, activity.SenderId), out var current) || current != item)
            {
                return;
            }
        }
        Publish(item with { Activity = activity with { Kind = AgentActivityKind.None, ExpiresAt = null, OccurredAt = clock.GetUtcNow() } });
    }

    private LiveItem Remember(LiveItem item)
    {
        var now = clock.GetUtcNow();
        lock (gate)
        {
            item = item with { Stamp = ++stamp };
            if (stamp % PruneEvery == 0)
            {
                Prune(now);
            }
            if (item.Activity is { } a)
            {
                if (a.Kind == AgentActivityKind.None)
                {
                    activities.Remove((item.ConversationId, a.SenderId));
                }
                else
                {
                    activities[(item.ConversationId, a.SenderId)] = item;
                }
            }
            if (item.Draft is { } d)
            {
                switch (d.State)
                {
                    case DraftState.Started:
                        drafts[item.ConversationId] = new DraftText(item.Workspace, item.Conversation, d.DraftId, d.SenderId) { LastHeard = now };
                        break;
                    case DraftState.Delta when drafts.TryGetValue(item.ConversationId, out var text) && text.DraftId == d.DraftId:
                        text.Apply(d.Offset, d.Text);
                        text.LastHeard = now;
                        break;
                    case DraftState.Committed or DraftState.Abandoned:
                        if (drafts.TryGetValue(item.ConversationId, out var ended) && ended.DraftId == d.DraftId)
                        {
                            drafts.Remove(item.ConversationId);
                        }
                        break;
                }
            }
        }
        return item;
    }

    /// <summary>Forgets what another replica will not end any more (it may have died): expired activities,
    /// drafts not heard of for <see cref="ForgetRemoteDraft"/>. Under the gate.</summary>
    private void Prune(DateTimeOffset now)
    {
        foreach (var key in activities.Where(a => a.Value.Activity!.ExpiresAt < now - ForgetRemoteDraft).Select(a => a.Key).ToList())
        {
            activities.Remove(key);
        }
        foreach (var key in drafts.Where(d => now - d.Value.LastHeard > ForgetRemoteDraft).Select(d => d.Key).ToList())
        {
            drafts.Remove(key);
        }
    }

    /// <summary>A draft's text so far, as its deltas built it.</summary>
    private sealed class DraftText(string workspace, Conversation conversation, Guid draftId, Guid senderId)
    {
        public string Workspace { get; } = workspace;
        public Conversation Conversation { get; } = conversation;
        public Guid DraftId { get; } = draftId;
        public Guid SenderId { get; } = senderId;
        public StringBuilder Text { get; } = new();
        public long Bytes { get; private set; }
        public DateTimeOffset LastHeard { get; set; }

        public void Apply(long offset, string text)
        {
            if (offset == Bytes)
            {
                Text.Append(text);
                Bytes += Encoding.UTF8.GetByteCount(text);
            }
            else if (offset == 0)
            {
                Text.Clear().Append(text);
                Bytes = Encoding.UTF8.GetByteCount(text);
            }
        }
    }
}
