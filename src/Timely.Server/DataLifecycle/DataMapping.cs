using Google.Protobuf.WellKnownTypes;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.DataLifecycle;

/// <summary>Erasures and retention policies between the domain and the DataService contract.</summary>
public static class DataMapping
{
    public static Proto.Erasure ToProto(this Erasure e) => new()
    {
        Id = e.Id.ToString(),
        Reason = e.Reason == ErasureReason.Contact ? Proto.ErasureReason.Contact : Proto.ErasureReason.Retention,
        ContactId = e.ContactId?.ToString() ?? "",
        ClosedBefore = e.ClosedBefore is { } before ? Timestamp.FromDateTimeOffset(before) : null,
        RequestedBy = e.RequestedBy,
        CreateTime = Timestamp.FromDateTimeOffset(e.CreatedAt),
        FinishTime = e.FinishedAt is { } finished ? Timestamp.FromDateTimeOffset(finished) : null,
        State = e.State == ErasureState.Running ? Proto.ErasureState.Running : Proto.ErasureState.Succeeded,
        ConversationsErased = e.ConversationsErased,
        MessagesErased = e.MessagesErased,
        EventsScrubbed = e.EventsScrubbed,
        RecordsErased = e.RecordsErased,
    };

    public static Proto.RetentionPolicy ToProto(this RetentionPolicy p) => new()
    {
        ClosedConversationDays = p.ClosedConversationDays,
        UpdateTime = p.UpdatedAt is { } updated ? Timestamp.FromDateTimeOffset(updated) : null,
    };
}
