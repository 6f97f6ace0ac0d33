using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>Every malformed field gives INVALID_ARGUMENT naming it, unknown ids give NOT_FOUND, and
/// neither writes anything.</summary>
public sealed class BadInputTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    public static TheoryData<string, string> BadCreates => new()
    {
        { "agent_id", "not-a-uuid" },
        { "channel_id", "" },
        { "contact_id", "12345678123456781234567812345678" },
        { "subject", new string('s', 201) },
        { "tags", "21 tags" },
        { "tags[0]", new string('t', 65) },
        { "tags[0]", "" },
        { "tags[1]", "duplicate" },
        { "request_id", "retry-1" },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task BadCreateIsRefusedAndWritesNothing(string field, string value)
    {
        var agent = NewId();
        var request = new CreateConversationRequest { AgentId = agent, ChannelId = NewId(), ContactId = NewId() };
        switch (field)
        {
            case "agent_id": request.AgentId = value; break;
            case "channel_id": request.ChannelId = value; break;
            case "contact_id": request.ContactId = value; break;
            case "subject": request.Subject = value; break;
            case "tags": request.Tags.AddRange(Enumerable.Range(0, 21).Select(i => $"t{i}")); break;
            case "tags[0]": request.Tags.Add(value); break;
            case "tags[1]": request.Tags.AddRange(["same", "same"]); break;
            case "request_id": request.RequestId = value; break;
        }
        await FailsOnField(field, () => client.CreateConversationAsync(request).ResponseAsync);
        if (field != "agent_id")
        {
            Assert.Empty((await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent })).Conversations);
        }
    }

    [Fact]
    public async Task EveryBadFieldIsNamedAtOnce()
    {
        var badRequest = await FailsOnField("agent_id", () => client.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = "x", ChannelId = "y", ContactId = "",
        }).ResponseAsync);
        Assert.Equal(["agent_id", "channel_id", "contact_id"], badRequest.FieldViolations.Select(v => v.Field));
    }

    public static TheoryData<string, string> BadMessages => new()
    {
        { "content", "empty" },
        { "content", "whitespace" },
        { "content", "over 32 KiB" },
        { "media_url", "media without url" },
        { "media_url", "relative url" },
        { "media_url", "ftp url" },
        { "media_url", "text with url" },
        { "sender_type", "unspecified" },
        { "sender_id", "human without id" },
        { "sender_id", "bad id" },
        { "message_type", "unknown type" },
        { "metadata", "too many entries" },
        { "metadata[]", "empty key" },
        { "conversation_id", "bad id" },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task BadMessageIsRefusedAndWritesNothing(string field, string problem)
    {
        var conversation = await client.CreateAsync();
        var request = new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "fine" };
        switch (problem)
        {
            case "empty": request.Content = ""; break;
            case "whitespace": request.Content = " \n\t "; break;
            case "over 32 KiB": request.Content = new string('é', 16 * 1024 + 1); break; // 2 bytes each in UTF-8
            case "media without url": request.MessageType = MessageType.Image; break;
            case "relative url": request.MessageType = MessageType.Document; request.MediaUrl = "/files/a.pdf"; break;
            case "ftp url": request.MessageType = MessageType.Audio; request.MediaUrl = "ftp://example.com/a.mp3"; break;
            case "text with url": request.MediaUrl = "https://example.com/a.png"; break;
            case "unspecified": request.SenderType = SenderType.Unspecified; break;
            case "human without id": request.SenderType = SenderType.HumanAgent; break;
            case "bad id": if (field == "sender_id") request.SenderId = "ana"; else request.ConversationId = "c-1"; break;
            case "unknown type": request.MessageType = (MessageType)42; break;
            case "too many entries": for (var i = 0; i < 33; i++) request.Metadata[$"k{i}"] = "v"; break;
            case "empty key": request.Metadata[""] = "v"; break;
        }
        await FailsOnField(field, () => client.SendMessageAsync(request).ResponseAsync);
        var after = await client.GetAsync(conversation.Id);
        Assert.Equal(0, after.LastSequence);
        Assert.Equal(conversation.Etag, after.Etag);
    }

    [Fact]
    public async Task ContentOfExactlyThirtyTwoKibIsAccepted()
    {
        var conversation = await client.CreateAsync();
        var sent = await client.SendAsync(conversation.Id, SenderType.Customer, new string('a', 32 * 1024));
        Assert.Equal(32 * 1024, sent.Message.Content.Length);
    }

    [Fact]
    public async Task BadIngestIsRefusedAndCreatesNothing()
    {
        var contact = NewId();
        await FailsOnField("content", () => client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = contact, AgentId = NewId(), Content = "",
        }).ResponseAsync);
        await FailsOnField("agent_id", () => client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = contact, AgentId = "bot", Content = "hi",
        }).ResponseAsync);
        await FailsOnField("external_id", () => client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = contact, AgentId = NewId(), Content = "hi", ExternalId = new string('e', 257),
        }).ResponseAsync);
        Assert.Empty((await client.ListConversationsAsync(new ListConversationsRequest { ContactId = contact })).Conversations);
    }

    [Fact]
    public async Task BadListRequestsAreRefused()
    {
        await FailsOnField("page_size", () => client.ListConversationsAsync(new ListConversationsRequest { PageSize = -1 }).ResponseAsync);
        await FailsOnField("statuses[1]", () => client.ListConversationsAsync(new ListConversationsRequest
        {
            Statuses = { ConversationStatus.Open, ConversationStatus.Unspecified },
        }).ResponseAsync);
        await FailsOnField("statuses[0]", () => client.ListConversationsAsync(new ListConversationsRequest { Statuses = { (ConversationStatus)9 } }).ResponseAsync);
        await FailsOnField("agent_id", () => client.ListConversationsAsync(new ListConversationsRequest { AgentId = "agent-7" }).ResponseAsync);
        await FailsOnField("page_token", () => client.ListConversationsAsync(new ListConversationsRequest { PageToken = "bm90IGEgdG9rZW4" }).ResponseAsync);
        await FailsOnField("created_before", () => client.ListConversationsAsync(new ListConversationsRequest
        {
            CreatedAfter = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            CreatedBefore = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
        }).ResponseAsync);
        await FailsOnField("order_by", () => client.ListConversationsAsync(new ListConversationsRequest { OrderBy = (ConversationOrder)7 }).ResponseAsync);
        await FailsOnField("page_size", () => client.ListMessagesAsync(new ListMessagesRequest { ConversationId = NewId(), PageSize = -5 }).ResponseAsync);
    }

    [Theory]
    [InlineData(ConversationStatus.Open)]
    [InlineData(ConversationStatus.Unspecified)]
    public async Task StatusFilterPastItsCapIsRefusedBeforeItsValuesAreRead(ConversationStatus status)
    {
        // 100,000 one-byte values: far under the 1 MiB request cap, far over any SQL parameter limit.
        var request = new ListConversationsRequest();
        request.Statuses.AddRange(Enumerable.Repeat(status, 100_000));
        var error = await ShortError(() => client.ListConversationsAsync(request).ResponseAsync);
        Assert.Equal("statuses", Assert.Single(error.FieldViolations).Field);

        var watch = new WatchConversationsRequest();
        watch.Statuses.AddRange(Enumerable.Repeat(status, 100_000));
        using var stream = client.WatchConversations(watch);
        await ShortError(() => stream.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Fact]
    public async Task RepeatedStatusesUpToTheCapAreOneFilter()
    {
        var conversation = await client.CreateAsync();
        var request = new ListConversationsRequest { AgentId = conversation.AgentId };
        request.Statuses.AddRange(Enumerable.Repeat(ConversationStatus.Open, 16));
        Assert.Equal(conversation.Id, Assert.Single((await client.ListConversationsAsync(request)).Conversations).Id);
    }

    [Fact]
    public async Task TwoThousandEmptyTagsGiveOneShortViolation()
    {
        var request = new CreateConversationRequest { AgentId = NewId(), ChannelId = NewId(), ContactId = NewId() };
        request.Tags.AddRange(Enumerable.Repeat("", 2_000));
        var error = await ShortError(() => client.CreateConversationAsync(request).ResponseAsync);
        Assert.Equal("tags", Assert.Single(error.FieldViolations).Field);
    }

    [Fact]
    public async Task EveryRepeatedFieldIsCappedBeforeItsElementsAreChecked()
    {
        var send = new SendMessageRequest { ConversationId = NewId(), SenderType = SenderType.Customer, Content = "hi" };
        for (var i = 0; i < 2_000; i++)
        {
            send.Metadata[new string('k', 65) + i] = "v";   // every key too long
        }
        Assert.Equal("metadata", Assert.Single((await ShortError(() => client.SendMessageAsync(send).ResponseAsync)).FieldViolations).Field);

        var update = new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = NewId(), Subject = "s" },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask(),
        };
        update.UpdateMask.Paths.AddRange(Enumerable.Range(0, 2_000).Select(i => $"no_such_field_{i}"));
        Assert.Equal("update_mask.paths", Assert.Single((await ShortError(() => client.UpdateConversationAsync(update).ResponseAsync)).FieldViolations).Field);
    }

    [Fact]
    public async Task ViolationsPastTwentyAreCountedNotListed()
    {
        var request = new CreateConversationRequest { AgentId = "a", ChannelId = "b", ContactId = "c", Subject = new string('s', 201) };
        request.Tags.AddRange(Enumerable.Repeat("", 20));   // 20 bad tags, within the count cap: 24 violations in all
        var error = await ShortError(() => client.CreateConversationAsync(request).ResponseAsync);
        Assert.Equal(21, error.FieldViolations.Count);
        Assert.Equal(["agent_id", "channel_id", "contact_id", "subject"], error.FieldViolations.Take(4).Select(v => v.Field));
        Assert.Contains("4 more", error.FieldViolations[^1].Description);
    }

    public static TheoryData<string> NulFields => new()
    {
        "content", "media_url", "media_type", "metadata key", "metadata value", "subject", "tags[1]", "external_id",
        "tag filter", "conversation.subject", "conversation.tags[0]",
    };

    [Theory]
    [MemberData(nameof(NulFields))]
    public async Task NulCharactersAreRefusedInEveryTextField(string where)
    {
        // PostgreSQL's text cannot hold U+0000 (SQLSTATE 22021): refused up front on both stores.
        const string nul = "a\0b";
        var conversation = await client.CreateAsync();
        var send = new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "fine" };
        var media = new SendMessageRequest(send) { MessageType = MessageType.Image, MediaUrl = "https://example.com/a.png", MediaType = "image/png" };
        var create = new CreateConversationRequest { AgentId = NewId(), ChannelId = NewId(), ContactId = NewId(), Tags = { "ok" } };
        var update = new UpdateConversationRequest { Conversation = new Conversation { Id = conversation.Id, Subject = "s" } };
        var (field, call) = where switch
        {
            "content" => ("content", Send(new SendMessageRequest(send) { Content = nul })),
            "media_url" => ("media_url", Send(new SendMessageRequest(media) { MediaUrl = "https://example.com/a" + nul })),
            "media_type" => ("media_type", Send(new SendMessageRequest(media) { MediaType = "image/" + nul })),
            "metadata key" => ("metadata[a\\u0000b]", Send(new SendMessageRequest(send) { Metadata = { [nul] = "v" } })),
            "metadata value" => ("metadata[k]", Send(new SendMessageRequest(send) { Metadata = { ["k"] = nul } })),
            "subject" => ("subject", Create(new CreateConversationRequest(create) { Subject = nul })),
            "tags[1]" => ("tags[1]", Create(new CreateConversationRequest(create) { Tags = { nul } })),
            "external_id" => ("external_id", (Func<Task>)(() => client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
            {
                ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = "hi", ExternalId = nul,
            }).ResponseAsync)),
            "tag filter" => ("tag", (Func<Task>)(() => client.ListConversationsAsync(new ListConversationsRequest { Tag = nul }).ResponseAsync)),
            "conversation.subject" => ("conversation.subject", Update(new UpdateConversationRequest(update) { Conversation = { Subject = nul } })),
            "conversation.tags[0]" => ("conversation.tags[0]", Update(new UpdateConversationRequest(update) { Conversation = { Tags = { nul } } })),
            _ => throw new ArgumentOutOfRangeException(nameof(where)),
        };
        await FailsOnField(field, call);
        var after = await client.GetAsync(conversation.Id);
        Assert.Equal(conversation.Etag, after.Etag);
        Assert.Equal(0, after.LastSequence);

        Func<Task> Send(SendMessageRequest r) => () => client.SendMessageAsync(r).ResponseAsync;
        Func<Task> Create(CreateConversationRequest r) => () => client.CreateConversationAsync(r).ResponseAsync;
        Func<Task> Update(UpdateConversationRequest r) => () => client.UpdateConversationAsync(r).ResponseAsync;
    }

    [Fact]
    public async Task BadIdsInEveryRpcAreRefused()
    {
        await FailsOnField("id", () => client.GetConversationAsync(new GetConversationRequest { Id = "42" }).ResponseAsync);
        await FailsOnField("id", () => client.HandoffConversationAsync(new HandoffConversationRequest { Id = "42", AssignedTo = NewId() }).ResponseAsync);
        await FailsOnField("assigned_to", () => client.HandoffConversationAsync(new HandoffConversationRequest { Id = NewId(), AssignedTo = "ana" }).ResponseAsync);
        await FailsOnField("id", () => client.ResumeConversationAsync(new ResumeConversationRequest { Id = "" }).ResponseAsync);
        await FailsOnField("id", () => client.CloseConversationAsync(new CloseConversationRequest { Id = "x" }).ResponseAsync);
        await FailsOnField("etag", () => client.CloseConversationAsync(new CloseConversationRequest { Id = NewId(), Etag = "W/\"1\"" }).ResponseAsync);
        await FailsOnField("conversation.id", () => client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = "x", Subject = "s" },
        }).ResponseAsync);
        await FailsOnField("conversation", () => client.UpdateConversationAsync(new UpdateConversationRequest()).ResponseAsync);
        await FailsOnField("conversation_id", () => client.ListMessagesAsync(new ListMessagesRequest { ConversationId = "x" }).ResponseAsync);
    }

    [Fact]
    public async Task UnknownIdsAreNotFound()
    {
        var unknown = NewId();
        await FailsWith(StatusCode.NotFound, () => client.GetConversationAsync(new GetConversationRequest { Id = unknown }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => client.HandoffConversationAsync(new HandoffConversationRequest { Id = unknown, AssignedTo = NewId() }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => client.ResumeConversationAsync(new ResumeConversationRequest { Id = unknown }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => client.CloseConversationAsync(new CloseConversationRequest { Id = unknown }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = unknown, Subject = "s" },
        }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => client.SendAsync(unknown, SenderType.Customer));
        await FailsWith(StatusCode.NotFound, () => client.ListMessagesAsync(new ListMessagesRequest { ConversationId = unknown }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, async () =>
        {
            using var stream = client.StreamMessages(new StreamMessagesRequest { ConversationId = unknown });
            await stream.ResponseStream.MoveNext(CancellationToken.None);
        });
    }

    [Fact]
    public async Task SqlShapedStringsAreStoredVerbatim()
    {
        const string evil = "'; DROP TABLE conversations; --";
        var conversation = await client.CreateAsync(subject: evil, tags: [evil, "\" OR 1=1 --"]);
        var sent = await client.SendAsync(conversation.Id, SenderType.Customer, evil);
        var read = await client.GetAsync(conversation.Id);
        Assert.Equal(evil, read.Subject);
        Assert.Equal([evil, "\" OR 1=1 --"], read.Tags);
        Assert.Equal(evil, (await client.AllMessagesAsync(conversation.Id)).Single().Content);
        Assert.Single((await client.ListConversationsAsync(new ListConversationsRequest { Tag = evil })).Conversations);
        Assert.Equal(sent.Message.Id, (await client.AllMessagesAsync(conversation.Id)).Single().Id);
    }

    /// <summary>INVALID_ARGUMENT whose message and details each stay under 8 KiB, however bad the request.</summary>
    private static async Task<Google.Rpc.BadRequest> ShortError(Func<Task> call)
    {
        var error = await FailsWith(StatusCode.InvalidArgument, call);
        Assert.True(error.Status.Detail.Length < 8 * 1024, $"message of {error.Status.Detail.Length} characters");
        var details = error.Trailers.GetValueBytes("grpc-status-details-bin");
        Assert.NotNull(details);
        Assert.True(details.Length < 8 * 1024, $"details of {details.Length} bytes");
        var badRequest = error.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        Assert.NotNull(badRequest);
        return badRequest;
    }
}
