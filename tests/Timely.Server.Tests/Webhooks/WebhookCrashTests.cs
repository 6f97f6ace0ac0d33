using System.Text.Json;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using Timely.Testing;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Webhooks;

/// <summary>The server process killed (SIGKILL) again and again while 1,000 events are delivered to a
/// receiver that fails one request in five: every event arrives, a repeat carries the same webhook-id and
/// body, and each conversation's events are first acknowledged in log order. On SQLite and on PostgreSQL.</summary>
public sealed class WebhookCrashTests : IAsyncLifetime
{
    private const int Conversations = 20;
    private const int MessagesEach = 50;
    private const int Kills = 4;
    private readonly string dataFolder = Directory.CreateTempSubdirectory("timely-webhook-crash-").FullName;
    private readonly TestDatabase? database = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();
    private readonly WebhookReceiver receiver = new();

    [Fact]
    public async Task KillsWhileDeliveringLoseNoEventAndKeepEachConversationsOrder()
    {
        var failures = new Random(7);
        receiver.Respond = (_, _) =>
        {
            lock (failures)
            {
                return (failures.Next(5) == 0 ? 500 : 200, TimeSpan.Zero);
            }
        };
        var settings = new Dictionary<string, string>
        {
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:AllowHttp"] = "true",
            ["Webhooks:PollInterval"] = "00:00:00.050",
            ["Webhooks:FirstRetryDelay"] = "00:00:00.100",
            ["Webhooks:MaxRetryDelay"] = "00:00:00.500",
            ["Webhooks:Timeout"] = "00:00:02",
            // A restarted process is a new lease owner: the dead one's lease must run out first.
            ["Webhooks:LeaseDuration"] = "00:00:01",
        };
        if (database is null)
        {
            settings["Storage:Sqlite:Path"] = Path.Combine(dataFolder, "timely.db");
        }
        else
        {
            settings["Storage:Provider"] = "postgres";
            settings["ConnectionStrings:Timely"] = database.ConnectionString;
        }
        using var server = new ServerProcess(Path.Combine(AppContext.BaseDirectory, "timely-server.dll"), settings);
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var invoker = channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + server.AdminKey);
            return m;
        });
        var client = new ConversationService.ConversationServiceClient(invoker);
        await new WebhookService.WebhookServiceClient(invoker).CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Url = receiver.Url, Enabled = true, EventTypes = { ConversationEventType.MessageAdded } },
        });
        var ids = new List<string>();
        for (var c = 0; c < Conversations; c++)
        {
            ids.Add((await client.CreateAsync()).Id);
        }
        for (var m = 0; m < MessagesEach; m++)
        {
            await Task.WhenAll(ids.Select(id => client.SendMessageAsync(new SendMessageRequest
            {
                ConversationId = id, SenderType = SenderType.Customer, Content = $"message {m}",
            }).ResponseAsync));
        }
        const int events = Conversations * MessagesEach;

        // Each kill lands while deliveries are going on: after some more were acknowledged, well before the end.
        var started = DateTime.UtcNow;
        for (var kill = 0; kill < Kills; kill++)
        {
            var before = Delivered();
            await Eventually(() => Task.FromResult(Delivered() >= before + 60), $"deliveries going on before kill {kill + 1}", 60);
            Assert.True(Delivered() < events, $"all {events} events were delivered before kill {kill + 1}: send more");
            server.Kill();
            await server.StartAsync();
        }
        await Eventually(() => Task.FromResult(Delivered() == events), $"all {events} events acknowledged", 120);
        var seconds = (DateTime.UtcNow - started).TotalSeconds;

        var received = receiver.Received.ToList();
        var acknowledged = receiver.Acknowledged;
        // Every message of every conversation arrived; each event kept one webhook-id and one body across repeats.
        var byMessage = received.GroupBy(r => (r.ConversationId, Sequence(r))).ToList();
        Assert.Equal(events, byMessage.Count);
        Assert.All(byMessage, g => Assert.Single(g.Select(r => r.Id).Distinct()));
        Assert.All(byMessage, g => Assert.Single(g.Select(r => r.Body).Distinct()));
        Assert.Equal(events, received.Select(r => r.Id).Distinct().Count());
        // The first acknowledgment of each event of a conversation comes in log (sequence) order.
        foreach (var conversation in acknowledged.GroupBy(r => r.ConversationId))
        {
            var firsts = conversation.GroupBy(Sequence).Select(g => (Sequence: g.Key, At: g.Min(r => r.At))).OrderBy(f => f.At).ToList();
            Assert.Equal(Enumerable.Range(1, MessagesEach).Select(i => (long)i), firsts.Select(f => f.Sequence));
        }
        var repeats = acknowledged.Count - events;
        Figures.Write($"webhooks under kill -9 ({(database is null ? "SQLite" : "PostgreSQL")}): {events} events to a receiver failing 1 request in 5, " +
            $"{Kills} kills; {received.Count} requests, {repeats} acknowledged repeats (same webhook-id), 0 lost, order kept; {seconds:0.0} s");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 never calls the latter on a test class (the folder, the
    // receiver and the PostgreSQL database of every run were left behind).
    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        database?.Dispose();
        Directory.Delete(dataFolder, recursive: true);
    }

    private int Delivered() => receiver.Acknowledged.Select(r => r.Id).Distinct().Count();

    private static long Sequence(ReceivedWebhook r) =>
        long.Parse(JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("message").GetProperty("sequence").GetString()!,
            System.Globalization.CultureInfo.InvariantCulture);
}
