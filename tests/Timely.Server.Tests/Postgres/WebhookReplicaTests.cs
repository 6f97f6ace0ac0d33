using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using Timely.Server.Tests.Webhooks;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Postgres;

/// <summary>Two server processes on one PostgreSQL database deliver each event of an endpoint once, and
/// delivery goes on when one of them dies. Without the endpoint's lease (one replica at a time), both
/// replicas send the same pending events to the slow receiver: 38 requests for 20 events when tried.</summary>
[Collection(nameof(ReplicaTests))]
public sealed class WebhookReplicaTests : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Webhooks:AllowPrivateNetworks"] = "true",
        ["Webhooks:AllowHttp"] = "true",
        ["Webhooks:PollInterval"] = "00:00:00.100",
        ["Webhooks:LeaseDuration"] = "00:00:02",
    };

    private readonly TestDatabase? database = TestDatabase.PostgresServer is null ? null : TestDatabase.Create();
    private readonly List<Replica> replicas = [];
    private readonly WebhookReceiver receiver = new();

    [SkippableFact]
    public async Task EachEventIsDeliveredByOneReplicaAndTheOtherTakesOverWhenTheHolderDies()
    {
        Skip.If(database is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        // A slow receiver: without the lease, the other replica would pick the same pending events meanwhile.
        receiver.Respond = (_, _) => (200, TimeSpan.FromMilliseconds(300));
        var a = await StartAsync();
        var b = await StartAsync();
        await a.Webhooks.CreateWebhookEndpointAsync(new CreateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Url = receiver.Url, Enabled = true },
        });
        for (var i = 0; i < 20; i++)
        {
            await (i % 2 == 0 ? a : b).Client.CreateAsync();
        }
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Select(r => r.Id).Distinct().Count() == 20), "20 events delivered", 30);
        await Task.Delay(1000);
        Assert.Equal(20, receiver.Received.Count);   // none twice: never two replicas at once

        // Kill each replica in turn while events keep coming: the survivor delivers within the lease duration.
        a.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            await b.Client.CreateAsync();
        }
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Select(r => r.Id).Distinct().Count() == 25),
            "the survivor delivering (lease 2 s)", 20);
        var handover = receiver.Acknowledged.Skip(20).Min(r => r.At) - killedAt;
        Figures.Write($"webhook lease handover after a kill -9 of the holder (PostgreSQL, 2 replicas, Webhooks:LeaseDuration 2 s, " +
            $"PollInterval 0.1 s): first delivery by the survivor {handover.TotalSeconds:0.0} s after the kill");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in replicas)
        {
            replica.Dispose();
        }
        await receiver.DisposeAsync();
        database?.Dispose();
    }

    private async Task<Replica> StartAsync()
    {
        var replica = new Replica(database!.ConnectionString, Settings);
        replicas.Add(replica);
        await replica.StartAsync();
        return replica;
    }
}
