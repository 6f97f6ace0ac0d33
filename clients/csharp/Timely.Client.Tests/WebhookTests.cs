using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Timely.Conversations.V1;
using Timely.Testing;

namespace Timely.Client.Tests;

/// <summary><see cref="WebhookVerifier"/> on the requests the real server sends to a receiver (real Kestrel on
/// loopback), and on requests it must refuse.</summary>
public sealed class WebhookTests
{
    [Fact]
    public async Task AReceiverVerifiesTheServersWebhookAndReadsItsTypedEvent()
    {
        await using var receiver = await Receiver.StartAsync();
        using var server = new SdkServer(new Dictionary<string, string>
        {
            ["Webhooks:AllowHttp"] = "true",
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:PollInterval"] = "00:00:00.100",
        });
        using var timely = server.NewClient();
        using var channel = GrpcChannel.ForAddress(server.Process.GrpcAddress);
        var webhooks = new WebhookService.WebhookServiceClient(channel);
        var admin = new Metadata { { "authorization", $"Bearer {server.Process.AdminKey}" } };
        var created = await webhooks.CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Url = receiver.Url, Enabled = true, EventTypes = { ConversationEventType.MessageAdded } },
        }, admin);
        var verifier = new WebhookVerifier(created.Secret);

        var conversation = (await timely.CreateConversationAsync(new CreateConversationRequest
        {
            AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
        })).Conversation;
        await timely.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversation.Id, SenderType = SenderType.AiAgent, Content = "Your order ships today.",
        });

        var request = await receiver.NextAsync(TimeSpan.FromSeconds(20));
        var webhook = verifier.Verify(request.Body, name => request.Headers.GetValueOrDefault(name));
        Assert.Equal("conversation.message_added", webhook.Type);
        Assert.Equal(ConversationEventType.MessageAdded, webhook.Event!.Type);
        Assert.Equal(webhook.Id, webhook.Event.Cursor);
        Assert.Equal(conversation.Id, webhook.Event.Message.ConversationId);
        Assert.Equal("Your order ships today.", webhook.Event.Message.Content);
        Assert.Equal(1, webhook.Event.Message.Sequence);

        // Another endpoint's secret, or a changed body, is refused.
        var other = new WebhookVerifier("whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.Throws<WebhookVerificationException>(() => other.Verify(request.Body, name => request.Headers.GetValueOrDefault(name)));
        var changed = request.Body.Replace("ships today", "ships never", StringComparison.Ordinal);
        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(changed, name => request.Headers.GetValueOrDefault(name)));

        // After a rotation the request carries two signatures; a receiver with only the old or only the new secret accepts it.
        var rotated = await webhooks.RotateWebhookSecretAsync(new RotateWebhookSecretRequest { Id = created.Endpoint.Id }, admin);
        await webhooks.SendTestWebhookEventAsync(new SendTestWebhookEventRequest { EndpointId = created.Endpoint.Id }, admin);
        var test = await receiver.NextAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, test.Headers["webhook-signature"].Split(' ').Length);
        Assert.Null(verifier.Verify(test.Body, name => test.Headers.GetValueOrDefault(name)).Event);
        Assert.Equal("webhook.test", new WebhookVerifier(rotated.Secret).Verify(test.Body, name => test.Headers.GetValueOrDefault(name)).Type);
    }

    [Fact]
    public void ARequestOutsideTheToleranceOrWithoutHeadersIsRefused()
    {
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var body = """{"type":"webhook.test","timestamp":"2026-12-01T10:00:00Z","data":{}}""";
        var sentAt = clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>
        {
            ["webhook-id"] = "evt-1",
            ["webhook-timestamp"] = sentAt,
            ["webhook-signature"] = Sign(secret, "evt-1", sentAt, body),
        };
        var verifier = new WebhookVerifier(secret) { Clock = clock, Tolerance = TimeSpan.FromMinutes(5) };

        Assert.Equal("evt-1", verifier.Verify(body, headers.GetValueOrDefault).Id);
        var sent = clock.GetUtcNow();
        clock.SetUtcNow(sent.AddMinutes(6));
        var stale = Assert.Throws<WebhookVerificationException>(() => verifier.Verify(body, headers.GetValueOrDefault));
        Assert.Contains("webhook-timestamp", stale.Message);
        var early = new WebhookVerifier(secret) { Clock = new FakeTimeProvider(sent.AddMinutes(-6)) };
        Assert.Throws<WebhookVerificationException>(() => early.Verify(body, headers.GetValueOrDefault));
        headers.Remove("webhook-signature");
        var onTime = new WebhookVerifier(secret) { Clock = new FakeTimeProvider(sent) };
        var missing = Assert.Throws<WebhookVerificationException>(() => onTime.Verify(body, headers.GetValueOrDefault));
        Assert.Contains("webhook-signature", missing.Message);
    }

    private static string Sign(string secret, string id, string timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret["whsec_".Length..]), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    private sealed record Received(string Body, Dictionary<string, string> Headers);

    /// <summary>A webhook receiver on loopback that answers 204 and hands each request to the test.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly Channel<Received> requests = Channel.CreateUnbounded<Received>();

        private Receiver(WebApplication app, string url)
        {
            this.app = app;
            Url = url;
        }

        public string Url { get; }

        public static async Task<Receiver> StartAsync()
        {
            var port = ServerProcess.FreePort();
            var builder = LoopbackApp.CreateBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
            var receiver = new Receiver(builder.Build(), $"http://127.0.0.1:{port}/hooks");
            receiver.app.MapPost("/hooks", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body, Encoding.UTF8);
                var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
                await receiver.requests.Writer.WriteAsync(new Received(await reader.ReadToEndAsync(), headers));
                return Results.NoContent();
            });
            await receiver.app.StartAsync();
            return receiver;
        }

        public async Task<Received> NextAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            return await requests.Reader.ReadAsync(cts.Token);
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
