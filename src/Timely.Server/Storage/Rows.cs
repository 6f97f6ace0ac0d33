using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Timely.Server.Domain;

namespace Timely.Server.Storage;

// The shape of each table's rows as Dapper reads and writes them, and the one mapping between
// rows and domain records. Times are microseconds since the Unix epoch; ids are UUID strings.

/// <summary>The columns of a conversation that a message's usual change sets (ConversationStore.SaveRow).</summary>
internal sealed record ConversationActivityRow(
    string Workspace, string Id, long? LastMessageAt, long ActivityAt, long? LastSenderType, long LastSequence, long Version)
{
    public static ConversationActivityRow From(Conversation c) => new(
        c.Workspace, c.Id.ToString(), Micros.From(c.LastMessageAt), ConversationRow.ActivityOf(c), (long?)c.LastSenderType, c.LastSequence, c.Version);
}

internal sealed class ConversationRow
{
    public string Id { get; set; } = "";
    public string Workspace { get; set; } = "";
    public string AgentId { get; set; } = "";
    public string ChannelId { get; set; } = "";
    public string ContactId { get; set; } = "";
    public long Status { get; set; }
    public string? AssignedTo { get; set; }
    public string Subject { get; set; } = "";
    public string Tags { get; set; } = "[]";
    public long CreatedAt { get; set; }
    public long? ClosedAt { get; set; }
    public long? LastMessageAt { get; set; }
    public long ActivityAt { get; set; }
    public long? LastSenderType { get; set; }
    public long LastSequence { get; set; }
    public long Version { get; set; }
    public long? HandoffReason { get; set; }
    public long? HandoffPriority { get; set; }
    public string? HandoffSummary { get; set; }
    public long? HandoffAt { get; set; }
    public string ReadHorizons { get; set; } = "[]";
    public long? UnreadCount { get; set; }

    public static ConversationRow From(Conversation c) => new()
    {
        Id = c.Id.ToString(),
        Workspace = c.Workspace,
        AgentId = c.AgentId.ToString(),
        ChannelId = c.ChannelId.ToString(),
        ContactId = c.ContactId.ToString(),
        Status = (long)c.Status,
        AssignedTo = c.AssignedTo?.ToString(),
        Subject = c.Subject,
        Tags = JsonSerializer.Serialize(c.Tags),
        CreatedAt = Micros.From(c.CreatedAt),
        ClosedAt = Micros.From(c.ClosedAt),
        LastMessageAt = Micros.From(c.LastMessageAt),
        ActivityAt = ActivityOf(c),
        LastSenderType = (long?)c.LastSenderType,
        LastSequence = c.LastSequence,
        Version = c.Version,
        HandoffReason = (long?)c.Handoff?.Reason,
        HandoffPriority = (long?)c.Handoff?.Priority,
        HandoffSummary = c.Handoff?.Summary,
        HandoffAt = Micros.From(c.Handoff?.HandedOffAt),
        ReadHorizons = HorizonRow.Serialize(c.Horizons),
    };

    /// <summary>The time lists order a conversation by: its last message's, or its creation's before any.</summary>
    public static long ActivityOf(Conversation c) => Micros.From(c.LastMessageAt ?? c.CreatedAt);

    /// <summary>The row at the reader's position, its columns in the order of <see cref="StoreSql.ConversationColumns"/>,
    /// read by position: the hot reads (a conversation by id, before each write; see <see cref="PositionalReader"/>)
    /// use it instead of Dapper, which matches every column by name and type again on each call (9 % of
    /// GetConversation's CPU on SQLite).</summary>
    public static ConversationRow Read(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Workspace = r.GetString(1),
        AgentId = r.GetString(2),
        ChannelId = r.GetString(3),
        ContactId = r.GetString(4),
        Status = r.GetInt64(5),
        AssignedTo = r.IsDBNull(6) ? null : r.GetString(6),
        Subject = r.GetString(7),
        Tags = r.GetString(8),
        CreatedAt = r.GetInt64(9),
        ClosedAt = r.IsDBNull(10) ? null : r.GetInt64(10),
        LastMessageAt = r.IsDBNull(11) ? null : r.GetInt64(11),
        ActivityAt = r.GetInt64(12),
        LastSenderType = r.IsDBNull(13) ? null : r.GetInt64(13),
        LastSequence = r.GetInt64(14),
        Version = r.GetInt64(15),
        HandoffReason = r.IsDBNull(16) ? null : r.GetInt64(16),
        HandoffPriority = r.IsDBNull(17) ? null : r.GetInt64(17),
        HandoffSummary = r.IsDBNull(18) ? null : r.GetString(18),
        HandoffAt = r.IsDBNull(19) ? null : r.GetInt64(19),
        ReadHorizons = r.GetString(20),
    };

    public Conversation ToDomain() => new(
        Guid.Parse(Id),
        Workspace,
        Guid.Parse(AgentId),
        Guid.Parse(ChannelId),
        Guid.Parse(ContactId),
        (ConversationStatus)Status,
        AssignedTo is null ? null : Guid.Parse(AssignedTo),
        Subject,
        JsonSerializer.Deserialize<string[]>(Tags) ?? [],
        Micros.ToTime(CreatedAt),
        Micros.ToTime(ClosedAt),
        Micros.ToTime(LastMessageAt),
        (SenderType?)LastSenderType,
        LastSequence,
        Version,
        HorizonRow.Parse(ReadHorizons),
        UnreadCount)
    {
        Handoff = HandoffAt is { } at
            ? new HandoffContext((Domain.HandoffReason)(HandoffReason ?? 0), (Domain.HandoffPriority)(HandoffPriority ?? (long)Domain.HandoffPriority.Normal), HandoffSummary ?? "", Micros.ToTime(at))
            : null,
    };
}

/// <summary>A read horizon in a conversation's read_horizons JSON column.</summary>
internal sealed class HorizonRow
{
    public long Type { get; set; }
    public string Id { get; set; } = "";
    public long Sequence { get; set; }
    public long At { get; set; }

    public static string Serialize(IReadOnlyList<ReadHorizon> horizons) =>
        horizons.Count == 0 ? "[]" : JsonSerializer.Serialize(horizons.Select(From));

    public static IReadOnlyList<ReadHorizon> Parse(string json) =>
        json is "[]" or "" ? [] : (JsonSerializer.Deserialize<HorizonRow[]>(json) ?? []).Select(h => h.ToDomain()).ToList();

    public static HorizonRow From(ReadHorizon h) =>
        new() { Type = (long)h.Participant, Id = h.ParticipantId.ToString(), Sequence = h.ReadSequence, At = Micros.From(h.ReadAt) };

    public ReadHorizon ToDomain() => new((ReadParticipant)Type, Guid.Parse(Id), Sequence, Micros.ToTime(At));
}

internal class MessageRow
{
    public string Id { get; set; } = "";
    public string ConversationId { get; set; } = "";
    public string Workspace { get; set; } = "";
    public long Sequence { get; set; }
    public long SenderType { get; set; }
    public string? SenderId { get; set; }
    public string Content { get; set; } = "";
    public long MessageType { get; set; }
    public string MediaUrl { get; set; } = "";
    public string MediaType { get; set; } = "";
    public string Metadata { get; set; } = "{}";
    public long CreatedAt { get; set; }
    public long Visibility { get; set; } = (long)MessageVisibility.Public;
    public long DeliveryStatus { get; set; }
    public long? SentAt { get; set; }
    public long? DeliveredAt { get; set; }
    public long? ReadAt { get; set; }
    public long? FailedAt { get; set; }
    public string DeliveryError { get; set; } = "";
    public string? ExternalId { get; set; }
    public long Revision { get; set; } = 1;
    public long? EditedAt { get; set; }
    public long? RedactedAt { get; set; }
    public string? RedactedBy { get; set; }

    public static MessageRow From(string workspace, Message m) => new()
    {
        Id = m.Id.ToString(),
        ConversationId = m.ConversationId.ToString(),
        Workspace = workspace,
        Sequence = m.Sequence,
        SenderType = (long)m.SenderType,
        SenderId = m.SenderId?.ToString(),
        Content = m.Content,
        MessageType = (long)m.MessageType,
        MediaUrl = m.MediaUrl,
        MediaType = m.MediaType,
        Metadata = JsonSerializer.Serialize(m.Metadata),
        CreatedAt = Micros.From(m.CreatedAt),
        Visibility = (long)m.Visibility,
        DeliveryStatus = (long)(m.Delivery ?? MessageDelivery.Nothing).Status,
        SentAt = Micros.From(m.Delivery?.SentAt),
        DeliveredAt = Micros.From(m.Delivery?.DeliveredAt),
        ReadAt = Micros.From(m.Delivery?.ReadAt),
        FailedAt = Micros.From(m.Delivery?.FailedAt),
        DeliveryError = m.Delivery?.Error ?? "",
        ExternalId = m.Delivery?.ExternalId,
        Revision = m.Revision,
        EditedAt = Micros.From(m.EditedAt),
        RedactedAt = Micros.From(m.RedactedAt),
        RedactedBy = m.RedactedBy?.ToString(),
    };

    public Message ToDomain() => new(
        Guid.Parse(Id),
        Guid.Parse(ConversationId),
        Sequence,
        (Domain.SenderType)SenderType,
        SenderId is null ? null : Guid.Parse(SenderId),
        Content,
        (Domain.MessageType)MessageType,
        MediaUrl,
        MediaType,
        JsonSerializer.Deserialize<Dictionary<string, string>>(Metadata) ?? [],
        Micros.ToTime(CreatedAt),
        DeliveryStatus == 0 && ExternalId is null ? null : new MessageDelivery((Domain.DeliveryStatus)DeliveryStatus, Micros.ToTime(SentAt),
            Micros.ToTime(DeliveredAt), Micros.ToTime(ReadAt), Micros.ToTime(FailedAt), DeliveryError, ExternalId),
        Revision,
        Micros.ToTime(EditedAt),
        Micros.ToTime(RedactedAt),
        RedactedBy is null ? null : Guid.Parse(RedactedBy))
    {
        Visibility = (MessageVisibility)Visibility,
    };
}

/// <summary>A message found by a search, with its score and snippet.</summary>
internal sealed class SearchHitRow : MessageRow
{
    public long Score { get; set; }
    public string Snippet { get; set; } = "";

    public MessageHit ToHit() => new(ToDomain(), Score, Snippet);
}

internal sealed class EventRow
{
    public long Tx { get; set; }
    public long Id { get; set; }
    public string Workspace { get; set; } = "";
    public string ConversationId { get; set; } = "";
    public string AgentId { get; set; } = "";
    public string ChannelId { get; set; } = "";
    public long Type { get; set; }
    public long OccurredAt { get; set; }
    public long Status { get; set; }
    public long? OldStatus { get; set; }
    public string? MessageId { get; set; }
    public string Conversation { get; set; } = "";
    public string? Details { get; set; }

    /// <summary>The conversation's snapshot leaves its null properties out (a fifth of its bytes, in every event
    /// row): they read back as null. Snapshots written before kept them, and read the same.</summary>
    private static readonly JsonSerializerOptions SnapshotJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static EventRow From(Conversation after, PendingEvent e, DateTimeOffset now) => new()
    {
        Workspace = after.Workspace,
        ConversationId = after.Id.ToString(),
        AgentId = after.AgentId.ToString(),
        ChannelId = after.ChannelId.ToString(),
        Type = (long)e.Type,
        OccurredAt = Micros.From(now),
        Status = (long)after.Status,
        OldStatus = (long?)e.OldStatus,
        MessageId = e.MessageId?.ToString(),
        Conversation = JsonSerializer.Serialize(ConversationRow.From(after), SnapshotJson),
        Details = DetailsRow.Serialize(e.Details),
    };

    public ConversationEvent ToDomain(Message? message)
    {
        var conversation = JsonSerializer.Deserialize<ConversationRow>(Conversation)!.ToDomain();
        return new ConversationEvent(
            new EventPosition(Tx, Id),
            (ConversationEventType)Type,
            Micros.ToTime(OccurredAt),
            conversation,
            (ConversationStatus?)OldStatus,
            OldStatus is null ? null : conversation.Status,
            message,
            DetailsRow.Parse(Details));
    }
}

/// <summary>An event's details column (JSON): the reported status, the revision, the horizon.</summary>
internal sealed class DetailsRow
{
    public long? Status { get; set; }
    public long? Revision { get; set; }
    public HorizonRow? Horizon { get; set; }

    public static string? Serialize(EventDetails? d) => d is null ? null : JsonSerializer.Serialize(new DetailsRow
    {
        Status = (long?)d.Status,
        Revision = d.Revision,
        Horizon = d.Horizon is null ? null : HorizonRow.From(d.Horizon),
    });

    public static EventDetails? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }
        var d = JsonSerializer.Deserialize<DetailsRow>(json)!;
        return new EventDetails((DeliveryStatus?)d.Status, d.Revision, d.Horizon?.ToDomain());
    }
}

internal static class Micros
{
    public static long From(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static long? From(DateTimeOffset? t) => t is null ? null : From(t.Value);

    public static DateTimeOffset ToTime(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);

    public static DateTimeOffset? ToTime(long? micros) => micros is null ? null : ToTime(micros.Value);
}
