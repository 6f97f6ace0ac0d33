using Grpc.Core.Interceptors;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.Webhooks;

/// <summary>The server with webhooks allowed to loopback over http, polling often, retrying fast.</summary>
public sealed class WebhookServer(IDictionary<string, string?>? settings = null) : TimelyServer(null, Settings(settings))
{
    public WebhookService.WebhookServiceClient Webhooks => WebhooksWith(AdminKey);

    public WebhookService.WebhookServiceClient WebhooksWith(string key) =>
        new(Channel.CreateCallInvoker().Intercept(m => { m.Add("authorization", "Bearer " + key); return m; }));

    public async Task<(WebhookEndpoint Endpoint, string Secret)> CreateEndpointAsync(string url, Action<WebhookEndpoint>? edit = null)
    {
        var endpoint = new WebhookEndpoint { Url = url, Enabled = true };
        edit?.Invoke(endpoint);
        var created = await Webhooks.CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest { Endpoint = endpoint });
        return (created.Endpoint, created.Secret);
    }

    private static Dictionary<string, string?> Settings(IDictionary<string, string?>? overrides)
    {
        var all = new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:AllowHttp"] = "true",
            ["Webhooks:PollInterval"] = "00:00:00.050",
            ["Webhooks:FirstRetryDelay"] = "00:00:00.200",
            ["Webhooks:MaxRetryDelay"] = "00:00:02",
            ["Webhooks:Timeout"] = "00:00:01",
        };
        foreach (var (k, v) in overrides ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }
        return all;
    }
}
