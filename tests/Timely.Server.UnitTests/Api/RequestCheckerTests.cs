using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Timely.Server.Api;
using Timely.Server.Domain;
using static Timely.Server.UnitTests.Examples;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/RequestChecker.cs: each check against the limits the proto comments document, and that
/// every violation of a request is collected and thrown as one INVALID_ARGUMENT.</summary>
public sealed class RequestCheckerTests
{
    [Theory]
    [InlineData(Uuid)]
    [InlineData("0190A6E4-5D3C-7C2A-9B1E-3F2D4C5B6A79")]
    public void IdIsAUuidInItsHyphenatedForm(string value) =>
        Assert.Equal(Guid.Parse(Uuid), Passes(check => check.Id("agent_id", value)));

    [Theory]
    [InlineData("", "is required")]
    [InlineData("not-a-uuid", "must be a UUID")]
    [InlineData("0190a6e45d3c7c2a9b1e3f2d4c5b6a79", "must be a UUID")]
    [InlineData("{0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a79}", "must be a UUID")]
    [InlineData("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a7", "must be a UUID")]
    public void BadIdIsRefusedOnItsField(string value, string description) =>
        Assert.StartsWith(description, FailsOn("agent_id", check => check.Id("agent_id", value)).Description);

    [Fact]
    public void OptionalIdMayBeEmpty() => Assert.Null(Passes(check => check.OptionalId("assigned_to", "")));

    [Fact]
    public void OptionalIdMustStillBeAUuid() => FailsOn("assigned_to", check => check.OptionalId("assigned_to", "x"));

    [Fact]
    public void RequestIdBindsTheRequestsFingerprint()
    {
        var request = new Proto.GetConversationRequest { Id = Uuid };
        var key = Passes(check => check.RequestId(Uuid.ToUpperInvariant(), "Op", request));
        Assert.Equal(new IdempotencyKey(Uuid, Fingerprints.Of("Op", request)), key);
    }

    [Fact]
    public void RequestIdIsOptional() => Assert.Null(Passes(check => check.RequestId("", "Op", new Proto.GetConversationRequest())));

    [Fact]
    public void RequestIdMustBeAUuid() => FailsOn("request_id", check => check.RequestId("retry-1", "Op", new Proto.GetConversationRequest()));

    [Fact]
    public void SubjectOfTheLimitIsKeptTrimmed() =>
        Assert.Equal(new string('s', 198), Passes(check => check.Subject("subject", " " + new string('s', 198) + " ")));

    [Fact]
    public void SubjectOverTheLimitIsRefused() =>
        FailsOn("conversation.subject", check => check.Subject("conversation.subject", new string('s', Limits.MaxSubjectLength + 1)));

    [Fact]
    public void TagsAreKeptInTheOrderGiven() =>
        Assert.Equal(["vip", "billing"], Passes(check => check.Tags("tags", Repeated("vip", "billing"))));

    public static TheoryData<string[], string> BadTags => new()
    {
        { Tags(Limits.MaxTags + 1, i => $"t{i}"), "tags" },
        { ["ok", ""], "tags[1]" },
        { ["ok", new string('t', Limits.MaxTagLength + 1)], "tags[1]" },
        { ["a", "b", "a"], "tags[2]" },
    };

    [Theory]
    [MemberData(nameof(BadTags))]
    public void BadTagIsRefusedOnItsIndex(string[] tags, string field) => FailsOn(field, check => check.Tags("tags", Repeated(tags)));

    [Fact]
    public void TagsOfTheLimitsPass() =>
        Passes(check => check.Tags("tags", Repeated(Tags(Limits.MaxTags, i => i + new string('t', Limits.MaxTagLength - 2)))));

    [Fact]
    public void TooManyTagsAreRefusedBeforeTheirEntriesAreRead() =>
        Assert.Equal(["tags"],
            Violations(check => check.Tags("tags", Repeated([.. Tags(Limits.MaxTags, i => $"t{i}"), "t0"]))).Select(v => v.Field));

    public static TheoryData<Proto.MessageType, string, string, string> GoodMessages => new()
    {
        { Proto.MessageType.Text, "hello", "", "" },
        { Proto.MessageType.Unspecified, "hello", "", "" },
        { Proto.MessageType.Text, new string('é', Limits.MaxContentBytes / 2), "", "" },
        { Proto.MessageType.Image, "", "https://cdn.example/a.png", "image/png" },
        { Proto.MessageType.Audio, "", "http://cdn.example/a.ogg", "" },
        { Proto.MessageType.Video, "a caption", "https://cdn.example/a.mp4", "video/mp4" },
        { Proto.MessageType.Document, "", "https://cdn.example/" + new string('d', Limits.MaxMediaUrlLength - 20),
            new string('m', Limits.MaxMediaTypeLength) },
    };

    [Theory]
    [MemberData(nameof(GoodMessages))]
    public void MessageWithinTheRulesPasses(Proto.MessageType type, string content, string mediaUrl, string mediaType)
    {
        var message = Passes(check => CheckMessage(check, type, content, mediaUrl, mediaType));
        Assert.Equal((content, mediaUrl, mediaType), (message.Content, message.MediaUrl, message.MediaType));
        Assert.Equal(type == Proto.MessageType.Unspecified ? MessageType.Text : (MessageType)(int)type, message.MessageType);
    }

    public static TheoryData<Proto.MessageType, string, string, string, string> BadMessages => new()
    {
        { Proto.MessageType.Text, "", "", "", "content" },
        { Proto.MessageType.Text, " \n\t", "", "", "content" },
        { Proto.MessageType.Text, new string('a', Limits.MaxContentBytes + 1), "", "", "content" },
        { Proto.MessageType.Text, new string('é', Limits.MaxContentBytes / 2 + 1), "", "", "content" },
        { Proto.MessageType.Text, "hello", "https://cdn.example/a.png", "", "media_url" },
        { Proto.MessageType.Image, "", "", "", "media_url" },
        { Proto.MessageType.Image, "", "ftp://cdn.example/a.png", "", "media_url" },
        { Proto.MessageType.Image, "", "/a.png", "", "media_url" },
        { Proto.MessageType.Image, "", "not a url", "", "media_url" },
        { Proto.MessageType.Image, "", "https://cdn.example/" + new string('d', Limits.MaxMediaUrlLength - 19), "", "media_url" },
        { Proto.MessageType.Image, "", "https://cdn.example/a.png", new string('m', Limits.MaxMediaTypeLength + 1), "media_type" },
        { (Proto.MessageType)99, "hello", "", "", "message_type" },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public void MessageAgainstTheRulesIsRefusedOnItsField(Proto.MessageType type, string content, string mediaUrl, string mediaType, string field) =>
        FailsOn(field, check => CheckMessage(check, type, content, mediaUrl, mediaType));

    [Fact]
    public void MessageKeepsItsSenderAndACopyOfItsMetadata()
    {
        var metadata = new MapField<string, string> { ["order"] = "1234" };
        var message = Passes(check => check.Message(SenderType.HumanAgent, Guid.Parse(Uuid), "hi", Proto.MessageType.Text, "", "", metadata));
        metadata["order"] = "changed";
        Assert.Equal((SenderType.HumanAgent, Guid.Parse(Uuid)), (message.SenderType, message.SenderId));
        Assert.Equal(new Dictionary<string, string> { ["order"] = "1234" }, message.Metadata);
    }

    public static TheoryData<Dictionary<string, string>, string?> MetadataCases => new()
    {
        { Entries(Limits.MaxMetadataEntries), null },
        { new() { [new string('k', Limits.MaxMetadataKeyLength)] = new string('v', Limits.MaxMetadataValueLength) }, null },
        { Entries(Limits.MaxMetadataEntries + 1), "metadata" },
        { new() { [""] = "v" }, "metadata[]" },
        { new() { [new string('k', Limits.MaxMetadataKeyLength + 1)] = "v" }, $"metadata[{new string('k', 39)}…]" },
        { new() { ["order"] = new string('v', Limits.MaxMetadataValueLength + 1) }, "metadata[order]" },
    };

    [Theory]
    [MemberData(nameof(MetadataCases))]
    public void MetadataIsHeldToItsLimits(Dictionary<string, string> entries, string? field)
    {
        var metadata = new MapField<string, string>();
        metadata.Add(entries);
        var violations = Violations(check => check.Message(SenderType.Customer, null, "hi", Proto.MessageType.Text, "", "", metadata));
        string[] expected = field is null ? [] : [field];
        Assert.Equal(expected, violations.Select(v => v.Field));
    }

    [Theory]
    [InlineData(Proto.SenderType.Customer, SenderType.Customer)]
    [InlineData(Proto.SenderType.AiAgent, SenderType.AiAgent)]
    [InlineData(Proto.SenderType.HumanAgent, SenderType.HumanAgent)]
    [InlineData(Proto.SenderType.System, SenderType.System)]
    public void SenderIsMappedToTheDomain(Proto.SenderType value, SenderType sender) => Assert.Equal(sender, Passes(check => check.Sender(value)));

    [Theory]
    [InlineData(Proto.SenderType.Unspecified, "is required")]
    [InlineData((Proto.SenderType)99, "99 is not a sender type")]
    public void SenderMustBeAKnownType(Proto.SenderType value, string description) =>
        Assert.Equal(description, FailsOn("sender_type", check => check.Sender(value)).Description);

    [Fact]
    public void StatusesAreMappedInOrder() =>
        Assert.Equal([ConversationStatus.Waiting, ConversationStatus.Open],
            Passes(check => check.Statuses("statuses", Repeated(Proto.ConversationStatus.Waiting, Proto.ConversationStatus.Open))));

    [Theory]
    [InlineData(Proto.ConversationStatus.Unspecified)]
    [InlineData((Proto.ConversationStatus)99)]
    public void StatusMustBeAKnownStatus(Proto.ConversationStatus bad) =>
        FailsOn("statuses[1]", check => check.Statuses("statuses", Repeated(Proto.ConversationStatus.Open, bad)));

    [Theory]
    [InlineData(0, Limits.DefaultPageSize)]
    [InlineData(1, 1)]
    [InlineData(Limits.MaxPageSize, Limits.MaxPageSize)]
    [InlineData(Limits.MaxPageSize + 1, Limits.MaxPageSize)]
    [InlineData(int.MaxValue, Limits.MaxPageSize)]
    public void PageSizeDefaultsAndIsLoweredToTheMaximum(int pageSize, int used) => Assert.Equal(used, Passes(check => check.PageSize(pageSize)));

    [Fact]
    public void NegativePageSizeIsRefused() => FailsOn("page_size", check => check.PageSize(-1));

    public static TheoryData<Timestamp?, Timestamp?> GoodRanges => new()
    {
        { null, null },
        { At(10), null },
        { null, At(10) },
        { At(10), At(11) },
    };

    [Theory]
    [MemberData(nameof(GoodRanges))]
    public void RangeFromBeforeBeforePasses(Timestamp? from, Timestamp? before) =>
        Assert.Equal((from?.ToDateTimeOffset(), before?.ToDateTimeOffset()), Passes(check => check.Range("created_after", from, "created_before", before)));

    public static TheoryData<Timestamp?, Timestamp?, string> BadRanges => new()
    {
        { At(10), At(10), "created_before" },
        { At(11), At(10), "created_before" },
        { new Timestamp { Seconds = 0, Nanos = -1 }, null, "created_after" },
        { null, new Timestamp { Seconds = 0, Nanos = 1_000_000_000 }, "created_before" },
        { new Timestamp { Seconds = -62_135_596_801 }, null, "created_after" },   // a second before 0001-01-01
    };

    [Theory]
    [MemberData(nameof(BadRanges))]
    public void EmptyRangeOrBadTimestampIsRefused(Timestamp? from, Timestamp? before, string field) =>
        FailsOn(field, check => check.Range("created_after", from, "created_before", before));

    [Theory]
    [InlineData("", null)]
    [InlineData("0", 0L)]
    [InlineData("42", 42L)]
    public void EtagIsAVersionOrAbsent(string value, long? version) => Assert.Equal(version, Passes(check => check.Etag(value)));

    [Theory]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1.0")]
    [InlineData("0x10")]
    [InlineData("W/\"1\"")]
    [InlineData("99999999999999999999")]
    public void EtagNotIssuedByTheServiceIsRefused(string value) => FailsOn("etag", check => check.Etag(value));

    [Theory]
    [InlineData("", null)]
    [InlineData("vip", "vip")]
    public void TextIsOptional(string value, string? kept) => Assert.Equal(kept, Passes(check => check.Text("tag", value, 3)));

    [Fact]
    public void TextOverItsLimitIsRefused() => FailsOn("external_id", check => check.Text("external_id", "abcd", 3));

    [Fact]
    public void NoViolationThrowsNothing() => new RequestChecker().ThrowIfInvalid();

    [Fact]
    public void EveryViolationIsCollectedIntoOneInvalidArgument()
    {
        var check = new RequestChecker();
        check.Id("agent_id", "x");
        check.Id("channel_id", "");
        check.PageSize(-5);
        check.Fail("update_mask", "names nothing");
        var error = Assert.Throws<InvalidArgumentException>(check.ThrowIfInvalid);
        Assert.Equal(["agent_id", "channel_id", "page_size", "update_mask"], error.Violations.Select(v => v.Field));
        Assert.All(error.Violations, v => Assert.Contains($"{v.Field}: {v.Description}", error.Message));
    }

    private static Timestamp At(long seconds) => new() { Seconds = seconds };

    private static NewMessage CheckMessage(RequestChecker check, Proto.MessageType type, string content, string mediaUrl, string mediaType) =>
        check.Message(SenderType.Customer, null, content, type, mediaUrl, mediaType, new());

    private static Dictionary<string, string> Entries(int count) => Enumerable.Range(0, count).ToDictionary(i => $"k{i}", i => $"v{i}");

    private static string[] Tags(int count, Func<int, string> tag) => [.. Enumerable.Range(0, count).Select(tag)];

    private static RepeatedField<T> Repeated<T>(params T[] values) => [.. values];

    /// <summary>The violations <paramref name="check"/> collects.</summary>
    private static IReadOnlyList<FieldViolation> Violations(Action<RequestChecker> check)
    {
        var checker = new RequestChecker();
        check(checker);
        try
        {
            checker.ThrowIfInvalid();
            return [];
        }
        catch (InvalidArgumentException e)
        {
            return e.Violations;
        }
    }

    private static FieldViolation FailsOn(string field, Action<RequestChecker> check)
    {
        var violation = Assert.Single(Violations(check));
        Assert.Equal(field, violation.Field);
        return violation;
    }

    /// <summary>The value <paramref name="check"/> returns, asserting that it collected no violation.</summary>
    private static T Passes<T>(Func<RequestChecker, T> check)
    {
        var checker = new RequestChecker();
        var value = check(checker);
        checker.ThrowIfInvalid();
        return value;
    }
}
