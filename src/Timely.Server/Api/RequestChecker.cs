using System.Text;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Timely.Server.Domain;
using Timely.Server.Storage;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.Api;

/// <summary>Reads the fields of one request, collecting every violation (so a client learns all its
/// mistakes at once), then <see cref="ThrowIfInvalid"/> raises them as one INVALID_ARGUMENT. Every
/// text field it reads must be text every store holds (<see cref="StorableText"/>); every repeated
/// field is counted against its cap before its elements are read.</summary>
public sealed class RequestChecker
{
    private readonly List<FieldViolation> violations = [];

    public void Fail(string field, string description) => violations.Add(new FieldViolation(field, description));

    public void ThrowIfInvalid()
    {
        if (violations.Count > 0)
        {
            throw new InvalidArgumentException(violations);
        }
    }

    /// <summary>A required UUID in its canonical 8-4-4-4-12 form.</summary>
    public Guid Id(string field, string value)
    {
        if (value.Length == 0)
        {
            Fail(field, "is required");
            return Guid.Empty;
        }
        return OptionalId(field, value) ?? Guid.Empty;
    }

    public Guid? OptionalId(string field, string value)
    {
        if (value.Length == 0)
        {
            return null;
        }
        if (Guid.TryParseExact(value, "D", out var id))
        {
            return id;
        }
        Fail(field, $"must be a UUID such as 0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a79, not \"{Quote(value)}\"");
        return null;
    }

    /// <summary>An optional AIP-155 request id (a UUID), with the request's fingerprint.</summary>
    public IdempotencyKey? RequestId(string value, string operation, Google.Protobuf.IMessage requestWithoutId)
    {
        var id = OptionalId("request_id", value);
        return id is null ? null : new IdempotencyKey(id.Value.ToString(), Fingerprints.Of(operation, requestWithoutId));
    }

    public string Subject(string field, string value)
    {
        if (value.Length > Limits.MaxSubjectLength)
        {
            Fail(field, $"must be at most {Limits.MaxSubjectLength} characters, not {value.Length}");
        }
        StorableText(field, value);
        return value.Trim();
    }

    public IReadOnlyList<string> Tags(string field, RepeatedField<string> tags)
    {
        if (!WithinCap(field, tags.Count, Limits.MaxTags, "tags"))
        {
            return [];
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tags.Count; i++)
        {
            var tag = tags[i];
            if (tag.Length is 0 or > Limits.MaxTagLength)
            {
                Fail($"{field}[{i}]", $"must be 1 to {Limits.MaxTagLength} characters, not {tag.Length}");
            }
            else if (StorableText($"{field}[{i}]", tag) && !seen.Add(tag))
            {
                Fail($"{field}[{i}]", $"repeats the tag \"{Quote(tag)}\"");
            }
        }
        return [.. tags];
    }

    /// <summary>Checks the count of a repeated field before any of its elements is read: past the cap,
    /// one violation, however many elements there are. False when past it.</summary>
    public bool WithinCap(string field, int count, int cap, string what)
    {
        if (count <= cap)
        {
            return true;
        }
        Fail(field, $"must hold at most {cap} {what}, not {count}");
        return false;
    }

    /// <summary>The content of a message: text needs non-empty content; media needs an absolute http(s) URL.</summary>
    public NewMessage Message(
        SenderType sender, Guid? senderId, string content, Proto.MessageType protoType, string mediaUrl, string mediaType,
        MapField<string, string> metadata)
    {
        var type = protoType.ToDomain();
        if (type is null)
        {
            Fail("message_type", $"{(int)protoType} is not a message type");
        }
        if (Encoding.UTF8.GetByteCount(content) > Limits.MaxContentBytes)
        {
            Fail("content", $"must be at most {Limits.MaxContentBytes} bytes of UTF-8, not {Encoding.UTF8.GetByteCount(content)}");
        }
        StorableText("content", content);
        if (type == MessageType.Text)
        {
            if (string.IsNullOrWhiteSpace(content))
            {
                Fail("content", "is required for a text message");
            }
            if (mediaUrl.Length > 0)
            {
                Fail("media_url", "is only allowed on media messages (image, audio, video, document)");
            }
        }
        else if (type is not null)
        {
            if (mediaUrl.Length == 0)
            {
                Fail("media_url", $"is required for a {type.Value.ToString().ToLowerInvariant()} message");
            }
            else if (StorableText("media_url", mediaUrl) && (mediaUrl.Length > Limits.MaxMediaUrlLength
                || !Uri.TryCreate(mediaUrl, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
            {
                Fail("media_url", $"must be an absolute http(s) URL of at most {Limits.MaxMediaUrlLength} characters");
            }
        }
        if (mediaType.Length > Limits.MaxMediaTypeLength)
        {
            Fail("media_type", $"must be at most {Limits.MaxMediaTypeLength} characters");
        }
        StorableText("media_type", mediaType);
        Metadata(metadata);
        return new NewMessage(sender, senderId, content, type ?? MessageType.Text, mediaUrl, mediaType,
            new Dictionary<string, string>(metadata));
    }

    public SenderType Sender(Proto.SenderType value)
    {
        var sender = value.ToDomain();
        if (sender is null)
        {
            Fail("sender_type", value == Proto.SenderType.Unspecified ? "is required" : $"{(int)value} is not a sender type");
        }
        return sender ?? SenderType.System;
    }

    /// <summary>A status filter: each status once, however often it is listed.</summary>
    public IReadOnlyList<ConversationStatus> Statuses(string field, RepeatedField<Proto.ConversationStatus> statuses)
    {
        if (!WithinCap(field, statuses.Count, Limits.MaxStatusFilterEntries, "entries"))
        {
            return [];
        }
        var result = new List<ConversationStatus>();
        for (var i = 0; i < statuses.Count; i++)
        {
            if (statuses[i].ToDomain() is { } status)
            {
                if (!result.Contains(status))
                {
                    result.Add(status);
                }
            }
            else
            {
                Fail($"{field}[{i}]", statuses[i] == Proto.ConversationStatus.Unspecified
                    ? "must not be CONVERSATION_STATUS_UNSPECIFIED"
                    : $"{(int)statuses[i]} is not a conversation status");
            }
        }
        return result;
    }

    /// <summary>A required search query, parsed (<see cref="Domain.SearchQuery"/>).</summary>
    public SearchQuery? SearchQuery(string field, string value)
    {
        if (!StorableText(field, value))
        {
            return null;
        }
        var query = Domain.SearchQuery.TryParse(value, out var error);
        if (error is not null)
        {
            Fail(field, error);
        }
        return query;
    }

    /// <summary>The conversation filters that ListConversations and the searches share.</summary>
    public ConversationQuery Filters(
        RepeatedField<Proto.ConversationStatus> statuses, string agentId, string channelId, string contactId, string assignedTo, string tag,
        Timestamp? createdAfter, Timestamp? createdBefore, Timestamp? lastMessageAfter, Timestamp? lastMessageBefore,
        SearchQuery? matching = null)
    {
        var created = Range("created_after", createdAfter, "created_before", createdBefore);
        var lastMessage = Range("last_message_after", lastMessageAfter, "last_message_before", lastMessageBefore);
        return new ConversationQuery(
            Statuses("statuses", statuses),
            OptionalId("agent_id", agentId),
            OptionalId("channel_id", channelId),
            OptionalId("contact_id", contactId),
            OptionalId("assigned_to", assignedTo),
            Text("tag", tag, Limits.MaxTagLength),
            created.From, created.Before, lastMessage.From, lastMessage.Before,
            ConversationOrder.LastMessageAtDesc, matching);
    }

    public int PageSize(int pageSize)
    {
        if (pageSize < 0)
        {
            Fail("page_size", "must not be negative");
        }
        return pageSize <= 0 ? Limits.DefaultPageSize : Math.Min(pageSize, Limits.MaxPageSize);
    }

    /// <summary>An optional time range [from, before).</summary>
    public (DateTimeOffset? From, DateTimeOffset? Before) Range(string fromField, Timestamp? from, string beforeField, Timestamp? before)
    {
        var f = Time(fromField, from);
        var b = Time(beforeField, before);
        if (f is not null && b is not null && f >= b)
        {
            Fail(beforeField, $"must be later than {fromField}");
        }
        return (f, b);
    }

    public long? Etag(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }
        if (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            return version;
        }
        Fail("etag", "is not an etag this service issued");
        return null;
    }

    public string? Text(string field, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            Fail(field, $"must be at most {maxLength} characters, not {value.Length}");
        }
        StorableText(field, value);
        return value.Length == 0 ? null : value;
    }

    /// <summary>Text every store holds: no U+0000 (PostgreSQL's text cannot hold it; SQLite would, so
    /// the stores would disagree) and no unpaired surrogate (it has no UTF-8 form). False, with a
    /// violation naming the field, otherwise.</summary>
    public bool StorableText(string field, string value)
    {
        var at = UnstorableAt(value);
        if (at < 0)
        {
            return true;
        }
        Fail(field, value[at] == '\0'
            ? $"must not contain U+0000 (NUL); found at character {at}"
            : $"must be well-formed text; found an unpaired surrogate U+{(int)value[at]:X4} at character {at}");
        return false;
    }

    public DateTimeOffset? Time(string field, Timestamp? value)
    {
        if (value is null)
        {
            return null;
        }
        try
        {
            return value.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            Fail(field, "is not a valid timestamp (seconds from 0001-01-01 to 9999-12-31, nanos 0 to 999999999)");
            return null;
        }
    }

    private void Metadata(MapField<string, string> metadata)
    {
        if (!WithinCap("metadata", metadata.Count, Limits.MaxMetadataEntries, "entries"))
        {
            return;
        }
        foreach (var (key, value) in metadata)
        {
            var field = $"metadata[{Quote(key)}]";
            if (key.Length is 0 or > Limits.MaxMetadataKeyLength)
            {
                Fail(field, $"keys must be 1 to {Limits.MaxMetadataKeyLength} characters");
            }
            if (value.Length > Limits.MaxMetadataValueLength)
            {
                Fail(field, $"values must be at most {Limits.MaxMetadataValueLength} characters");
            }
            StorableText(field, key);
            StorableText(field, value);
        }
    }

    /// <summary>The index of the first U+0000 or unpaired surrogate, or -1.</summary>
    private static int UnstorableAt(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (c == '\0' || char.IsSurrogate(c))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>A caller's text, short enough to quote in an error, with control characters and
    /// unpaired surrogates written as \uXXXX (so a field name such as metadata[...] stays readable
    /// and valid UTF-8).</summary>
    public static string Quote(string value)
    {
        var cut = Limits.Cut(value, 40, "…");
        if (!cut.Any(c => char.IsControl(c) || char.IsSurrogate(c)))
        {
            return cut;
        }
        var quoted = new StringBuilder(cut.Length + 16);
        for (var i = 0; i < cut.Length; i++)
        {
            var c = cut[i];
            if (char.IsHighSurrogate(c) && i + 1 < cut.Length && char.IsLowSurrogate(cut[i + 1]))
            {
                quoted.Append(c).Append(cut[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                quoted.Append($"\\u{(int)c:X4}");
            }
            else
            {
                quoted.Append(c);
            }
        }
        return quoted.ToString();
    }
}
