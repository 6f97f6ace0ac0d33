using Google.Protobuf.Collections;
using Timely.Server.Api;
using Timely.Server.Domain;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.Webhooks;

/// <summary>The request checks of the webhook fields, beside the shared ones of <see cref="RequestChecker"/>.</summary>
public static class WebhookChecks
{
    public const int MaxUrlLength = 2048;
    public const int MaxEventTypes = 8;

    /// <summary>The fields an update may name, as its mask spells them.</summary>
    public static readonly string[] UpdatableFields = ["url", "event_types", "agent_id", "channel_id", "statuses", "conversation_id", "enabled"];

    public static async Task<string> UrlAsync(this RequestChecker check, AddressPolicy policy, string field, string value, CancellationToken ct)
    {
        if (value.Length == 0)
        {
            check.Fail(field, "is required");
            return value;
        }
        if (value.Length > MaxUrlLength)
        {
            check.Fail(field, $"must be at most {MaxUrlLength} characters, not {value.Length}");
            return value;
        }
        if (!check.StorableText(field, value))
        {
            return value;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url))
        {
            check.Fail(field, "is not an absolute URL");
            return value;
        }
        if (await policy.RefusalAsync(url, ct) is { } refusal)
        {
            check.Fail(field, refusal);
        }
        return value;
    }

    public static IReadOnlyList<ConversationEventType> EventTypes(this RequestChecker check, string field, RepeatedField<Proto.ConversationEventType> types)
    {
        if (!check.WithinCap(field, types.Count, MaxEventTypes, "entries"))
        {
            return [];
        }
        var result = new List<ConversationEventType>();
        for (var i = 0; i < types.Count; i++)
        {
            if (types[i].ToDomain() is { } type)
            {
                if (!result.Contains(type))
                {
                    result.Add(type);
                }
            }
            else
            {
                check.Fail($"{field}[{i}]", types[i] == Proto.ConversationEventType.Unspecified
                    ? "must not be CONVERSATION_EVENT_TYPE_UNSPECIFIED"
                    : $"{(int)types[i]} is not an event type");
            }
        }
        return result;
    }

    /// <summary>The paths of an update's mask (AIP-134); "*" stands for every updatable field.</summary>
    public static HashSet<string> UpdatePaths(this RequestChecker check, Google.Protobuf.WellKnownTypes.FieldMask? mask)
    {
        var paths = new HashSet<string>();
        var requested = mask?.Paths ?? [];
        if (!check.WithinCap("update_mask.paths", requested.Count, Limits.MaxUpdateMaskPaths, "paths"))
        {
            return paths;
        }
        if (requested.Count == 0)
        {
            check.Fail("update_mask", $"is required: name the fields to change ({string.Join(", ", UpdatableFields)})");
        }
        for (var i = 0; i < requested.Count; i++)
        {
            if (requested[i] == "*")
            {
                paths.UnionWith(UpdatableFields);
            }
            else if (UpdatableFields.Contains(requested[i]))
            {
                paths.Add(requested[i]);
            }
            else
            {
                check.Fail($"update_mask.paths[{i}]", $"\"{RequestChecker.Quote(requested[i])}\" cannot be updated; updatable fields are {string.Join(", ", UpdatableFields)}");
            }
        }
        return paths;
    }
}
