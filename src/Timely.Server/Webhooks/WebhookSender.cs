using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace Timely.Server.Webhooks;

/// <summary>Sends one signed request to an endpoint and says what came of it. Through the "webhooks"
/// HttpClient (WebhookSetup): no redirects, a timeout, the address check at connect time. Reads at most
/// <see cref="MaxResponseBytes"/> of a response, for the error it reports.</summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider clock)
{
    public const string ClientName = "webhooks";
    public const int MaxResponseBytes = 256;

    public async Task<SendOutcome> SendAsync(string url, string id, string body, IReadOnlyList<string> secrets, CancellationToken ct)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Header(secrets, id, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new SendOutcome(status, "");
            }
            return new SendOutcome(status, $"HTTP {status}: {await ReadBoundedAsync(response, timeout.Token)}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendOutcome(0, $"no response within {options.Value.Timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new SendOutcome(0, Cut(e.Message));
        }
    }

    private static async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new byte[MaxResponseBytes];
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0)
        {
            read += n;
        }
        return Cut(Encoding.UTF8.GetString(buffer, 0, read).Replace('\0', ' '));
    }

    private static string Cut(string text) => text.Length <= MaxResponseBytes ? text : text[..MaxResponseBytes];
}
