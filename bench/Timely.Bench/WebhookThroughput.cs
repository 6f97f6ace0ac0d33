using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Timely.Conversations.V1;

namespace Timely.Bench;

/// <summary>Webhook delivery rate (issue 16): events delivered per second to a local receiver (Kestrel on
/// loopback, answering 204 at once), on SQLite. N message events over 100 conversations are written while
/// the endpoint is disabled; enabling it starts the clock, the receiver's last first-acknowledgment stops it.
/// Then the same with one conversation whose requests take 2 s (a slow path in the receiver): how much it
/// holds back the other 99. Each server (this tree's, and a baseline build when given) runs both, in one run.</summary>
public static class WebhookThroughput
{
    private const int ConversationCount = 100;
    private static readonly TimeSpan SlowAnswer = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(string serverDll, string? baselineDll, int events)
    {
        var servers = baselineDll is null ? [("this tree", serverDll)] : new[] { ("baseline", baselineDll), ("this tree", serverDll) };
        Console.WriteLine($"webhooks: {events:N0} events over {ConversationCount} conversations to a local receiver, SQLite, default settings");
        Console.WriteLine($"{"server",-10} {"receiver",-34} {"events/s",9} {"requests",9} {"seconds",8}");
        foreach (var (name, dll) in servers)
        {
            await MeasureAsync(name, dll, events, slow: false, warmUp: true);
            await MeasureAsync(name, dll, events, slow: false, warmUp: false);
            await MeasureAsync(name, dll, events, slow: true, warmUp: false);
        }
    }

    private static async Task MeasureAsync(string name, string dll, int events, bool slow, bool warmUp)
    {
        await using var server = await ServerUnderTest.StartAsync(dll, new Dictionary<string, string>
        {
            ["Webhooks__AllowHttp"] = "true",
            ["Webhooks__AllowPrivateNetworks"] = "true",
        });
        var client = server.NewClient();
        var conversations = new List<string>();
        for (var i = 0; i < ConversationCount; i++)
        {
            conversations.Add((await client.CreateConversationAsync(new CreateConversationRequest
            {
                AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
            })).Conversation.Id);
        }
        var slowConversation = slow ? conversations[0] : null;
        await using var receiver = await Receiver.StartAsync(slowConversation);
        var webhooks = server.NewWebhooksClient();
        var endpoint = (await webhooks.CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Url = receiver.Url, Enabled = false, EventTypes = { ConversationEventType.MessageAdded } },
        })).Endpoint;
        var count = warmUp ? Math.Min(events, 500) : events;
        for (var i = 0; i < count; i += ConversationCount)
        {
            await Task.WhenAll(conversations.Take(Math.Min(ConversationCount, count - i)).Select(id => client.SendMessageAsync(new SendMessageRequest
            {
                ConversationId = id, SenderType = SenderType.Customer, Content = $"message {i}",
            }).ResponseAsync));
        }

        var clock = Stopwatch.StartNew();
        var enabledAt = receiver.Now;
        endpoint.Enabled = true;
        await webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest { Endpoint = endpoint, UpdateMask = new() { Paths = { "enabled" } } });
        // The slow conversation's own events take 2 s each: the figure is for the others.
        var expected = slow ? count - count / ConversationCount : count;
        while (receiver.Acknowledged(except: slowConversation) < expected)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"{receiver.Acknowledged(except: slowConversation)} of {expected} events delivered in 5 minutes");
            }
            await Task.Delay(5);
        }
        var seconds = receiver.LastFirstAcknowledgment(except: slowConversation) - enabledAt;
        if (!warmUp)
        {
            var what = slow ? "fast, one conversation 2 s/request" : "fast (answers at once)";
            Console.WriteLine($"{name,-10} {what,-34} {expected / seconds,9:N0} {receiver.Requests,9:N0} {seconds,8:F2}");
        }
    }

    /// <summary>Kestrel on loopback, answering 204 (after <see cref="SlowAnswer"/> for the slow conversation's
    /// requests); remembers when each webhook-id was first acknowledged.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly ConcurrentDictionary<string, (double At, bool Slow)> firsts = new();
        private readonly Stopwatch since = Stopwatch.StartNew();
        private int requests;

        private Receiver(WebApplication app, string url)
        {
            this.app = app;
            Url = url;
        }

        public string Url { get; }

        public int Requests => requests;

        public double Now => since.Elapsed.TotalSeconds;

        public static async Task<Receiver> StartAsync(string? slowConversation)
        {
            var port = ServerUnderTest.FreePort();
            var builder = Timely.Testing.LoopbackApp.CreateBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
            var receiver = new Receiver(builder.Build(), $"http://127.0.0.1:{port}/hook");
            receiver.app.MapPost("/hook", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync();
                Interlocked.Increment(ref receiver.requests);
                var isSlow = slowConversation is not null && body.Contains(slowConversation, StringComparison.Ordinal);
                if (isSlow)
                {
                    await Task.Delay(SlowAnswer);
                }
                receiver.firsts.TryAdd(request.Headers["webhook-id"].ToString(), (receiver.since.Elapsed.TotalSeconds, isSlow));
                return Results.NoContent();
            });
            await receiver.app.StartAsync();
            return receiver;
        }

        public int Acknowledged(string? except) => firsts.Values.Count(f => except is null || !f.Slow);

        /// <summary>Seconds from the receiver's start to the last first acknowledgment (of the fast conversations).</summary>
        public double LastFirstAcknowledgment(string? except) => firsts.Values.Where(f => except is null || !f.Slow).Max(f => f.At);

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
