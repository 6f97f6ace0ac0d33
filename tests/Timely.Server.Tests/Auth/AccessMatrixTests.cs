using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Auth;

/// <summary>Every RPC x {no key, revoked key, read key, write key, key of another workspace}.</summary>
public sealed class AccessMatrixTests(AccessMatrixTests.Keys keys) : IClassFixture<AccessMatrixTests.Keys>
{
    public sealed class Keys : IAsyncLifetime, IDisposable
    {
        public TimelyServer Server { get; } = new();
        public Dictionary<string, string?> ByKind { get; } = [];

        public async Task InitializeAsync()
        {
            ByKind["none"] = null;
            var (revoked, revokedId) = await Server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Write);
            await Server.GetService<ApiKeyStore>().RevokeAsync(revokedId, CancellationToken.None);
            ByKind["revoked"] = revoked;
            ByKind["read"] = (await Server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Read)).Secret;
            ByKind["write"] = (await Server.CreateKeyAsync(Workspaces.Default, ApiKeyScope.Write)).Secret;
            ByKind["other"] = (await Server.CreateKeyAsync("other-company", ApiKeyScope.Admin)).Secret;
        }

        public Task DisposeAsync() => Task.CompletedTask;

        public void Dispose() => Server.Dispose();
    }

    private static readonly string[] Reads = ["GetConversation", "ListConversations", "ListMessages", "StreamMessages", "WatchConversations"];
    private static readonly string[] Rpcs =
    [
        "CreateConversation", "GetConversation", "ListConversations", "UpdateConversation", "HandoffConversation", "ResumeConversation",
        "CloseConversation", "SendMessage", "ListMessages", "IngestCustomerMessage", "StreamMessages", "WatchConversations",
    ];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var rpc in Rpcs)
        {
            foreach (var kind in new[] { "none", "revoked", "read", "write", "other" })
            {
                data.Add(rpc, kind);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryRpcAnswersEveryKindOfKeyAsSpecified(string rpc, string kind)
    {
        var expected = kind switch
        {
            "none" or "revoked" => StatusCode.Unauthenticated,
            "read" => Reads.Contains(rpc) ? StatusCode.OK : StatusCode.PermissionDenied,
            "write" => StatusCode.OK,
            // Another workspace's ids do not exist for this key; what it creates is its own.
            _ => rpc is "CreateConversation" or "IngestCustomerMessage" or "ListConversations" or "WatchConversations" ? StatusCode.OK : StatusCode.NotFound,
        };
        var admin = keys.Server.Client;
        var target = await admin.CreateAsync(subject: "target");
        await admin.SendAsync(target.Id, SenderType.Customer, "hello");
        if (rpc == "ResumeConversation")
        {
            await admin.HandoffConversationAsync(new HandoffConversationRequest { Id = target.Id, AssignedTo = NewId() });
        }

        var actual = await Outcome(() => Call(rpc, keys.Server.ClientWith(keys.ByKind[kind]), target));

        Assert.Equal(expected, actual.Code);
        if (expected == StatusCode.NotFound)
        {
            Assert.Equal($"conversation {target.Id} not found", actual.Detail);
        }
        if (expected != StatusCode.OK && rpc != "CreateConversation" && rpc != "IngestCustomerMessage")
        {
            // Refused means untouched.
            var after = await admin.GetAsync(target.Id);
            Assert.Equal(rpc == "ResumeConversation" ? ConversationStatus.Human : ConversationStatus.Open, after.Status);
            Assert.Equal(1, after.LastSequence);
        }
    }

    [Fact]
    public async Task ListsAndWatchesNeverShowAnotherWorkspace()
    {
        var mine = keys.Server.Client;
        var theirs = keys.Server.ClientWith(keys.ByKind["other"]);
        var agent = NewId();   // the same agent id used by two companies
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = theirs.WatchConversations(new WatchConversationsRequest { AgentId = agent }, cancellationToken: timeout.Token);
        var first = watch.ResponseStream.MoveNext(timeout.Token);

        var own = await mine.CreateAsync(agentId: agent);
        string? theirsId = null;
        for (var attempt = 0; attempt < 100 && !first.IsCompleted; attempt++)
        {
            theirsId = (await theirs.CreateAsync(agentId: agent)).Id;
            await Task.WhenAny(first, Task.Delay(100, timeout.Token));
        }
        Assert.True(await first);
        Assert.NotEqual(own.Id, watch.ResponseStream.Current.Event.Conversation.Id);

        var listed = await theirs.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, PageSize = 500 });
        Assert.DoesNotContain(listed.Conversations, c => c.Id == own.Id);
        Assert.Contains(listed.Conversations, c => c.Id == theirsId);
        var all = await theirs.ListConversationsAsync(new ListConversationsRequest { PageSize = 500 });
        Assert.DoesNotContain(all.Conversations, c => c.Id == own.Id);
    }

    [Fact]
    public async Task TokensAndCursorsOfOneWorkspaceAreRefusedInAnother()
    {
        var mine = keys.Server.Client;
        var theirs = keys.Server.ClientWith(keys.ByKind["other"]);
        var agent = NewId();
        for (var i = 0; i < 3; i++)
        {
            await mine.CreateAsync(agentId: agent);
            await theirs.CreateAsync(agentId: agent);
        }
        var page = await mine.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, PageSize = 1 });
        await FailsOnField("page_token", () => theirs.ListConversationsAsync(new ListConversationsRequest
        {
            AgentId = agent, PageSize = 1, PageToken = page.NextPageToken,
        }).ResponseAsync);

        var conversation = await mine.CreateAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = mine.WatchConversations(new WatchConversationsRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);
        var next = watch.ResponseStream.MoveNext(timeout.Token);
        while (!next.IsCompleted)
        {
            await mine.SendAsync(conversation.Id, SenderType.Customer, "tick");
            await Task.WhenAny(next, Task.Delay(100, timeout.Token));
        }
        Assert.True(await next);
        var cursor = watch.ResponseStream.Current.Event.Cursor;
        await FailsOnField("after_cursor", async () =>
        {
            using var stolen = theirs.WatchConversations(new WatchConversationsRequest { AfterCursor = cursor });
            await stolen.ResponseStream.MoveNext(CancellationToken.None);
        });
    }

    private static async Task<(StatusCode Code, string Detail)> Outcome(Func<Task> call)
    {
        try
        {
            await call();
            return (StatusCode.OK, "");
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail);
        }
    }

    private async Task Call(string rpc, ConversationService.ConversationServiceClient client, Conversation c)
    {
        switch (rpc)
        {
            case "CreateConversation": await client.CreateAsync(); break;
            case "GetConversation": await client.GetAsync(c.Id); break;
            case "ListConversations": await client.ListConversationsAsync(new ListConversationsRequest()); break;
            case "UpdateConversation":
                await client.UpdateConversationAsync(new UpdateConversationRequest { Conversation = new Conversation { Id = c.Id, Subject = "changed" } });
                break;
            case "HandoffConversation": await client.HandoffConversationAsync(new HandoffConversationRequest { Id = c.Id, AssignedTo = NewId() }); break;
            case "ResumeConversation": await client.ResumeConversationAsync(new ResumeConversationRequest { Id = c.Id }); break;
            case "CloseConversation": await client.CloseConversationAsync(new CloseConversationRequest { Id = c.Id }); break;
            case "SendMessage": await client.SendAsync(c.Id, SenderType.AiAgent, "reply"); break;
            case "ListMessages": await client.ListMessagesAsync(new ListMessagesRequest { ConversationId = c.Id }); break;
            case "IngestCustomerMessage":
                await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest { ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = "hi" });
                break;
            case "StreamMessages":
            {
                using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = c.Id });
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                break;
            }
            case "WatchConversations":
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                using var call = client.WatchConversations(new WatchConversationsRequest(), cancellationToken: timeout.Token);
                var next = call.ResponseStream.MoveNext(timeout.Token);
                // The watch answers with an event of the caller's own workspace, or with its refusal.
                while (!next.IsCompleted)
                {
                    await keys.Server.Client.CreateAsync();
                    await Outcome(() => client.CreateAsync());
                    await Task.WhenAny(next, Task.Delay(100, timeout.Token));
                }
                Assert.True(await next);
                break;
            }
        }
    }
}
