using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Timely.Testing;

namespace Timely.Server.Tests.Webhooks;

/// <summary>One request a receiver got: its headers, body, when it arrived, and the status answered.</summary>
public sealed record ReceivedWebhook(IHeaderDictionary Headers, string Body, DateTimeOffset At, int Status)
{
    public string Id => Headers["webhook-id"].ToString();

    public string Type => JsonDocument.Parse(Body).RootElement.GetProperty("type").GetString()!;

    public string ConversationId => JsonDocument.Parse(Body).RootElement.GetProperty("data").GetProperty("conversation").GetProperty("id").GetString()!;

    public string? Content => JsonDocument.Parse(Body).RootElement.GetProperty("data").TryGetProperty("message", out var m)
        ? m.GetProperty("content").GetString() : null;
}

/// <summary>A real HTTP receiver on Kestrel, 127.0.0.1: records every request, and answers what
/// <see cref="Respond"/> says (200 by default; a delay stands for a slow receiver).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private int inFlight;

    public WebhookReceiver()
    {
        var builder = LoopbackApp.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1));
        app = builder.Build();
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = new HeaderDictionary(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value));
            var (status, delay) = Respond(headers, body);
            var inFlight = Interlocked.Increment(ref this.inFlight);
            lock (Received)
            {
                MaxInFlight = Math.Max(MaxInFlight, inFlight);
            }
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, http.RequestAborted).ContinueWith(_ => { });
            }
            Interlocked.Decrement(ref this.inFlight);
            Received.Enqueue(new ReceivedWebhook(headers, body, DateTimeOffset.UtcNow, status));
            if (status is >= 300 and < 400 && RedirectTo is { } location)
            {
                http.Response.Headers.Location = location;
            }
            return Results.StatusCode(status);
        });
        app.StartAsync().GetAwaiter().GetResult();
        Url = app.Urls.Single() + "/hook";
    }

    public string Url { get; }

    /// <summary>The most requests this receiver had in flight at once.</summary>
    public int MaxInFlight { get; private set; }

    /// <summary>The Location of a 3xx answer.</summary>
    public string? RedirectTo { get; set; }

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>The status and delay of the answer to a request.</summary>
    public Func<IHeaderDictionary, string, (int Status, TimeSpan Delay)> Respond { get; set; } = (_, _) => (200, TimeSpan.Zero);

    public List<ReceivedWebhook> Acknowledged => Received.Where(r => r.Status is >= 200 and < 300).ToList();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
