using Microsoft.Extensions.Caching.Memory;
using System.Security.Claims;
using Grpc.Core;
using Grpc.Core.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Timely.Server.Api;
using Timely.Server.Auth;
using Timely.Server.Domain;
using Timely.Server.Feeds;
using Timely.Server.Storage;
using static Timely.Server.UnitTests.Examples;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/ConversationApi.cs called alone, as grpc-dotnet's examples test a service: a
/// <see cref="TestServerCallContext"/> instead of Kestrel, and requests that fail validation, which the
/// service must refuse whole before it reaches the store or a feed.</summary>
public sealed class ConversationApiTests
{
    private static readonly TokenCodec Tokens = new(TokenKey);
    private readonly UnreachableStore store = new();
    private readonly ConversationApi api;

    public ConversationApiTests()
    {
        var signals = new ChangeSignals();
        var options = Options.Create(new FeedOptions());
        var metrics = Examples.Metrics();
        var database = new Database(new UnreachableDialect(), signals, new NoOtherReplicas(), metrics);
        var events = new EventLog(database);
        var live = new LiveHub(signals, new NoLiveRelay(), TimeProvider.System);
        api = new ConversationApi(store, Tokens, new MessageFeed(store, signals, options, TimeProvider.System, metrics, live),
            new EventFeed(events, signals, options, TimeProvider.System, metrics, live),
            new KeyRevocations(new ApiKeyStore(database, TimeProvider.System), new MemoryCache(new MemoryCacheOptions()),
                Options.Create(new AuthOptions()), TimeProvider.System),
            new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance),
            live, new ReplyDrafts(live, signals, store, Options.Create(new DraftOptions()), TimeProvider.System),
            new ReceiptStore(database, TimeProvider.System), events, options);
    }

    /// <summary>The query fingerprint of a ListConversations without filters.</summary>
    private static readonly string UnfilteredList = Fingerprints.Of("ListConversations", new Proto.ListConversationsRequest());

    /// <summary>Each call, with a request that fails validation, and the fields it must name (in order).</summary>
    private static readonly Dictionary<string, (Func<ConversationApi, ServerCallContext, Task> Call, string[] Fields)> Calls = new()
    {
        ["GetConversation"] = ((api, call) => api.GetConversation(new() { Id = "not-a-uuid" }, call), ["id"]),
        ["UpdateDeliveryStatus"] = ((api, call) => api.UpdateDeliveryStatus(new() { Error = "e" }, call), ["conversation_id", "message_id", "status"]),
        ["MarkRead"] = ((api, call) => api.MarkRead(new() { ConversationId = Uuid, ParticipantType = Proto.ReadParticipantType.Contact, ParticipantId = Uuid },
            call), ["participant_id", "up_to_sequence"]),
        ["EditMessage"] = ((api, call) => api.EditMessage(new() { ConversationId = Uuid, MessageId = Uuid, Revision = -1, EditorType = Proto.SenderType.Customer },
            call), ["revision", "editor_type"]),
        ["RedactMessage"] = ((api, call) => api.RedactMessage(new() { ConversationId = Uuid }, call), ["message_id"]),
        ["SendMessage"] = ((api, call) => api.SendMessage(new(), call), ["conversation_id", "sender_type", "content"]),
        ["SendMessage as a human without id"] = ((api, call) => api.SendMessage(
            new() { ConversationId = Uuid, SenderType = Proto.SenderType.HumanAgent, Content = "I'm here" }, call), ["sender_id"]),
        ["CreateConversation"] = ((api, call) => api.CreateConversation(new() { AgentId = "x", Tags = { "a", "a" } }, call),
            ["agent_id", "channel_id", "contact_id", "tags[1]"]),
        ["IngestCustomerMessage"] = ((api, call) => api.IngestCustomerMessage(new() { ExternalId = new string('e', 257) }, call),
            ["channel_id", "contact_id", "agent_id", "external_id", "content"]),
        ["UpdateConversation"] = ((api, call) => api.UpdateConversation(new(), call), ["conversation", "conversation.id", "update_mask"]),
        ["UpdateConversation of a read-only field"] = ((api, call) => api.UpdateConversation(
            new() { Conversation = new() { Id = Uuid }, UpdateMask = new() { Paths = { "subject", "status" } } }, call), ["update_mask.paths[1]"]),
        ["HandoffConversation"] = ((api, call) => api.HandoffConversation(new() { Id = Uuid }, call), ["assigned_to"]),
        ["ResumeConversation"] = ((api, call) => api.ResumeConversation(new() { Id = Uuid, Etag = "W/\"1\"" }, call), ["etag"]),
        ["CloseConversation"] = ((api, call) => api.CloseConversation(new(), call), ["id"]),
        ["ListConversations"] = ((api, call) => api.ListConversations(
            new() { PageSize = -1, Statuses = { Proto.ConversationStatus.Unspecified }, OrderBy = (Proto.ConversationOrder)9 }, call),
            ["page_size", "statuses[0]", "order_by"]),
        ["ListConversations with another query's token"] = ((api, call) => api.ListConversations(
            new() { Tag = "vip", PageToken = Tokens.PageToken("acme", "another query", new ConversationKey(1, Guid.Empty)) }, call),
            ["page_token"]),
        ["ListConversations with another workspace's token"] = ((api, call) => api.ListConversations(
            new() { PageToken = Tokens.PageToken("globex", UnfilteredList, new ConversationKey(1, Guid.Empty)) }, call),
            ["page_token"]),
        ["SearchMessages"] = ((api, call) => api.SearchMessages(new() { Query = "a OR b", PageSize = -1, AgentId = "x" }, call),
            ["query", "page_size", "agent_id"]),
        ["SearchMessages with another query's token"] = ((api, call) => api.SearchMessages(
            new() { Query = "refund", PageToken = Tokens.SearchToken("acme", "another query", new SearchKey(1, Guid.Empty)) }, call),
            ["page_token"]),
        ["SearchConversations"] = ((api, call) => api.SearchConversations(new() { Query = "\"open", Tag = new string('t', 65) }, call),
            ["query", "tag"]),
        ["ListMessages"] = ((api, call) => api.ListMessages(new() { ConversationId = "x", PageSize = -1 }, call), ["conversation_id", "page_size"]),
        ["ListMessages with another conversation's token"] = ((api, call) => api.ListMessages(
            new() { ConversationId = Uuid, PageToken = Tokens.SequenceToken("acme", $"ListMessages/{Guid.Empty}", 5) }, call),
            ["page_token"]),
        ["StreamMessages"] = ((api, call) => api.StreamMessages(
            new() { ConversationId = Uuid, AfterSequence = -1 }, new UnwrittenStream<Proto.StreamMessagesResponse>(), call),
            ["after_sequence"]),
        ["WatchConversations"] = ((api, call) => api.WatchConversations(
            new() { AgentId = "x", Statuses = { (Proto.ConversationStatus)9 } }, new UnwrittenStream<Proto.WatchConversationsResponse>(), call),
            ["agent_id", "statuses[0]"]),
        ["WatchConversations with another workspace's cursor"] = ((api, call) => api.WatchConversations(
            new() { AfterCursor = Tokens.Cursor("globex", new EventPosition(1, 2)) }, new UnwrittenStream<Proto.WatchConversationsResponse>(), call),
            ["after_cursor"]),
    };

    public static TheoryData<string> CallNames => [.. Calls.Keys];

    [Theory]
    [MemberData(nameof(CallNames))]
    public async Task BadRequestIsRefusedWholeBeforeTheStore(string name)
    {
        var (call, fields) = Calls[name];
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => call(api, CallFrom("acme")));
        Assert.Equal(fields, error.Violations.Select(v => v.Field));
        Assert.Empty(store.Calls);
    }

    [Fact]
    public async Task CallWithoutAnAuthenticatedKeyIsABug()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => api.ListConversations(new(), CallFrom(workspace: null)));
        Assert.Contains("without an authenticated key", error.Message);
        Assert.Empty(store.Calls);
    }

    /// <summary>A call as the API key authentication leaves it: the caller's workspace is a claim of the
    /// HttpContext, which grpc-dotnet's GetHttpContext() finds under "__HttpContext" in a test context.</summary>
    private static ServerCallContext CallFrom(string? workspace)
    {
        var call = TestServerCallContext.Create("/timely.conversations.v1.ConversationService/Test", "localhost", DateTime.UtcNow.AddMinutes(1),
            [], CancellationToken.None, "ipv4:127.0.0.1:1234", null, null, _ => Task.CompletedTask, () => new WriteOptions(), _ => { });
        Claim[] claims = workspace is null ? [] : [new Claim(ApiKeyAuthentication.WorkspaceClaim, workspace)];
        call.UserState["__HttpContext"] = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity(claims, "test")) };
        return call;
    }
}
