using Grpc.Core;
using Microsoft.Extensions.Options;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using ProtoEndpoint = Timely.Conversations.V1.WebhookEndpoint;
using Timely.Server.Tests.Infrastructure;
using Timely.Server.Webhooks;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Webhooks;

/// <summary>The endpoints' API: admin keys, tenant isolation, paging, updates, and the URL rules.</summary>
public sealed class WebhookEndpointTests : IAsyncLifetime
{
    private readonly WebhookServer server = new();
    private readonly WebhookReceiver receiver = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        server.Dispose();
    }

    [Fact]
    public async Task EndpointsAreListedInPagesAndUpdatedWithEtags()
    {
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await server.CreateEndpointAsync(receiver.Url + "?n=" + i, e => e.Enabled = false)).Endpoint.Id);
        }
        var listed = new List<string>();
        var token = "";
        do
        {
            var page = await server.Webhooks.ListWebhookEndpointsAsync(new ListWebhookEndpointsRequest { PageSize = 2, PageToken = token });
            Assert.True(page.Endpoints.Count <= 2);
            listed.AddRange(page.Endpoints.Select(e => e.Id));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(created, listed);

        var first = (await server.Webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = created[0] })).Endpoint;
        var updated = (await server.Webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new ProtoEndpoint { Id = first.Id, Etag = first.Etag, EventTypes = { ConversationEventType.Created } },
            UpdateMask = new() { Paths = { "event_types" } },
        })).Endpoint;
        Assert.Equal([ConversationEventType.Created], updated.EventTypes);
        Assert.Equal(first.Url, updated.Url);
        await FailsWith(StatusCode.Aborted, () => server.Webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new ProtoEndpoint { Id = first.Id, Etag = first.Etag, Enabled = true },
            UpdateMask = new() { Paths = { "enabled" } },
        }).ResponseAsync);

        await server.Webhooks.DeleteWebhookEndpointAsync(new DeleteWebhookEndpointRequest { Id = first.Id });
        await FailsWith(StatusCode.NotFound, () => server.Webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = first.Id }).ResponseAsync);
    }

    [Fact]
    public async Task AnotherWorkspaceSeesNeitherTheEndpointsNorTheirDeliveries()
    {
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url);
        var (otherKey, _) = await server.CreateKeyAsync("other-" + NewId(), ApiKeyScope.Admin);
        var other = server.WebhooksWith(otherKey);
        var id = endpoint.Id;

        await FailsWith(StatusCode.NotFound, () => other.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = id }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => other.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new ProtoEndpoint { Id = id, Enabled = false }, UpdateMask = new() { Paths = { "enabled" } },
        }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => other.DeleteWebhookEndpointAsync(new DeleteWebhookEndpointRequest { Id = id }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => other.RotateWebhookSecretAsync(new RotateWebhookSecretRequest { Id = id }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => other.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { EndpointId = id }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => other.SendTestWebhookEventAsync(new SendTestWebhookEventRequest { EndpointId = id }).ResponseAsync);
        Assert.Empty((await other.ListWebhookEndpointsAsync(new ListWebhookEndpointsRequest())).Endpoints);

        // The other workspace's events never reach this workspace's endpoint.
        var otherConversations = server.ClientWith(otherKey);
        await otherConversations.CreateAsync();
        var mine = await server.Client.CreateAsync();
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count >= 1), "this workspace's event");
        await Task.Delay(300);
        Assert.All(receiver.Received, r => Assert.Equal(mine.Id, r.ConversationId));
    }

    [Theory]
    [InlineData(ApiKeyScope.Read)]
    [InlineData(ApiKeyScope.Write)]
    public async Task OnlyAdminKeysManageWebhooks(ApiKeyScope scope)
    {
        var (key, _) = await server.CreateKeyAsync(Workspaces.Default, scope);
        await FailsWith(StatusCode.PermissionDenied, () => server.WebhooksWith(key).ListWebhookEndpointsAsync(new ListWebhookEndpointsRequest()).ResponseAsync);
    }

    [Fact]
    public async Task BadRequestsNameTheirField()
    {
        var webhooks = server.Webhooks;
        await FailsOnField("endpoint", () => webhooks.CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest()).ResponseAsync);
        await FailsOnField("endpoint.url", () => webhooks.CreateWebhookEndpointAsync(Create("")).ResponseAsync);
        await FailsOnField("endpoint.url", () => webhooks.CreateWebhookEndpointAsync(Create("/relative")).ResponseAsync);
        await FailsOnField("endpoint.url", () => webhooks.CreateWebhookEndpointAsync(Create("ftp://example.com/")).ResponseAsync);
        await FailsOnField("endpoint.url", () => webhooks.CreateWebhookEndpointAsync(Create("https://user:pw@example.com/")).ResponseAsync);
        await FailsOnField("endpoint.url", () => webhooks.CreateWebhookEndpointAsync(Create("https://example.com/" + new string('a', 2048))).ResponseAsync);
        await FailsOnField("endpoint.url", () => webhooks.CreateWebhookEndpointAsync(Create("https://example.com/\0")).ResponseAsync);
        await FailsOnField("endpoint.event_types[0]", () => webhooks.CreateWebhookEndpointAsync(Create(receiver.Url, e => e.EventTypes.Add(ConversationEventType.Unspecified))).ResponseAsync);
        await FailsOnField("endpoint.event_types[0]", () => webhooks.CreateWebhookEndpointAsync(Create(receiver.Url, e => e.EventTypes.Add((ConversationEventType)99))).ResponseAsync);
        await FailsOnField("endpoint.statuses[0]", () => webhooks.CreateWebhookEndpointAsync(Create(receiver.Url, e => e.Statuses.Add(ConversationStatus.Unspecified))).ResponseAsync);
        await FailsOnField("endpoint.agent_id", () => webhooks.CreateWebhookEndpointAsync(Create(receiver.Url, e => e.AgentId = "x")).ResponseAsync);
        await FailsOnField("id", () => webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = "x" }).ResponseAsync);
        await FailsOnField("page_size", () => webhooks.ListWebhookEndpointsAsync(new ListWebhookEndpointsRequest { PageSize = -1 }).ResponseAsync);
        await FailsOnField("page_token", () => webhooks.ListWebhookEndpointsAsync(new ListWebhookEndpointsRequest { PageToken = "junk" }).ResponseAsync);
        await FailsOnField("update_mask", () => webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new ProtoEndpoint { Id = NewId() },
        }).ResponseAsync);
        await FailsOnField("update_mask.paths[0]", () => webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new ProtoEndpoint { Id = NewId() }, UpdateMask = new() { Paths = { "secret" } },
        }).ResponseAsync);
        await FailsOnField("endpoint_id", () => webhooks.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest()).ResponseAsync);
        await FailsOnField("after_cursor", () => webhooks.RedeliverWebhookEventsAsync(new RedeliverWebhookEventsRequest { EndpointId = NewId() }).ResponseAsync);
        await FailsOnField("endpoint_id", () => webhooks.SendTestWebhookEventAsync(new SendTestWebhookEventRequest()).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = NewId() }).ResponseAsync);
    }

    private static CreateWebhookEndpointRequest Create(string url, Action<ProtoEndpoint>? edit = null)
    {
        var endpoint = new ProtoEndpoint { Url = url };
        edit?.Invoke(endpoint);
        return new CreateWebhookEndpointRequest { Endpoint = endpoint };
    }
}

/// <summary>Server-side request forgery: what a webhook may not reach unless configured.</summary>
public sealed class WebhookSafetyTests
{
    [Theory]
    [InlineData("http://example.com/hook")]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://127.9.9.9/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://172.16.0.1/hook")]
    [InlineData("https://192.168.1.1/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://100.64.0.1/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://api.localhost/hook")]
    public async Task PrivateAddressesAndPlainHttpAreRefusedByDefault(string url)
    {
        using var server = new WebhookServer(new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateNetworks"] = "false",
            ["Webhooks:AllowHttp"] = "false",
        });
        await FailsOnField("endpoint.url", () => server.Webhooks.CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest
        {
            Endpoint = new ProtoEndpoint { Url = url },
        }).ResponseAsync);
    }

    [Fact]
    public async Task EachConnectionIsCheckedAgainstTheAddressItResolvesTo()
    {
        // A name accepted earlier that now resolves to loopback (DNS rebinding) is refused when connecting.
        await using var receiver = new WebhookReceiver();
        var policy = new AddressPolicy(Options.Create(new WebhookOptions()));
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = policy.ConnectAsync, UseProxy = false });
        var url = new UriBuilder(receiver.Url) { Host = "localhost" }.Uri;
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(url, new StringContent("{}")));
        Assert.Contains("refused", refused.Message);
        Assert.Empty(receiver.Received);

        var allowing = new AddressPolicy(Options.Create(new WebhookOptions { AllowPrivateNetworks = true }));
        using var allowed = new HttpClient(new SocketsHttpHandler { ConnectCallback = allowing.ConnectAsync, UseProxy = false });
        Assert.True((await allowed.PostAsync(url, new StringContent("{}"))).IsSuccessStatusCode);
    }

    [Fact]
    public async Task RedirectsAreNotFollowed()
    {
        await using var target = new WebhookReceiver();
        using var server = new WebhookServer();
        await using var receiver = new WebhookReceiver { Respond = (_, _) => (307, TimeSpan.Zero), RedirectTo = target.Url };
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url, e => e.Enabled = false);
        var answer = await server.Webhooks.SendTestWebhookEventAsync(new SendTestWebhookEventRequest { EndpointId = endpoint.Id });
        Assert.Equal(307, answer.StatusCode);
        Assert.Empty(target.Received);
    }
}
