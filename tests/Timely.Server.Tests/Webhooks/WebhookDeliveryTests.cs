using Grpc.Core;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Webhooks;

/// <summary>Delivery to real receivers on loopback: signatures, retries, 410, order, redelivery, rotation.</summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
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
    public async Task EventsAreSignedVerifiablyByTheStandardWebhooksLibrary()
    {
        var (endpoint, secret) = await server.CreateEndpointAsync(receiver.Url);
        Assert.StartsWith("whsec_", secret);
        var conversation = await server.Client.CreateAsync();
        await server.Client.SendAsync(conversation.Id, SenderType.Customer, "hi");

        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count >= 2), "two deliveries");
        var verifier = new StandardWebhook(secret);
        foreach (var r in receiver.Acknowledged)
        {
            verifier.Verify(r.Body, r.Headers);   // throws when the signature does not match
        }
        Assert.Equal(["conversation.created", "conversation.message_added"], receiver.Acknowledged.Select(r => r.Type));
        Assert.All(receiver.Acknowledged, r => Assert.Equal(conversation.Id, r.ConversationId));
        var tampered = receiver.Acknowledged[0];
        Assert.ThrowsAny<Exception>(() => verifier.Verify(tampered.Body.Replace("conversation.created", "conversation.updated"), tampered.Headers));
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(StandardWebhooksSecret()).Verify(tampered.Body, tampered.Headers));

        // The webhook-id is the event's cursor: the one WatchConversations gives and ListWebhookDeliveries shows.
        var deliveries = (await server.Webhooks.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { EndpointId = endpoint.Id })).Deliveries;
        Assert.Equal(receiver.Acknowledged.Select(r => r.Id).Reverse(), deliveries.Select(d => d.EventCursor));
        Assert.All(deliveries, d => Assert.NotNull(d.DeliveredTime));
        Assert.All(deliveries, d => Assert.Equal(200, d.LastStatusCode));
    }

    [Fact]
    public async Task FailedDeliveriesAreRetriedWithGrowingDelaysAndTheSameId()
    {
        var attempts = 0;
        receiver.Respond = (_, _) => (Interlocked.Increment(ref attempts) <= 3 ? 500 : 204, TimeSpan.Zero);
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url);
        await server.Client.CreateAsync();

        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 1), "the delivery after three 500s");
        var all = receiver.Received.ToList();
        Assert.Equal(4, all.Count);
        Assert.Single(all.Select(r => r.Id).Distinct());
        var gaps = all.Zip(all.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.True(gaps[2] > gaps[0], $"delays should grow: {string.Join(", ", gaps)}");
        var delivery = (await server.Webhooks.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { EndpointId = endpoint.Id })).Deliveries.Single();
        Assert.Equal(4, delivery.Attempts);
        Assert.Equal(204, delivery.LastStatusCode);
    }

    [Fact]
    public async Task TimeoutsAreRetried()
    {
        var attempts = 0;
        receiver.Respond = (_, _) => (200, Interlocked.Increment(ref attempts) == 1 ? TimeSpan.FromSeconds(3) : TimeSpan.Zero);
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url);
        await server.Client.CreateAsync();

        await Eventually(async () => (await server.Webhooks.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { EndpointId = endpoint.Id }))
            .Deliveries.SingleOrDefault()?.DeliveredTime is not null, "the delivery after a timeout", 15);
        var delivery = (await server.Webhooks.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { EndpointId = endpoint.Id })).Deliveries.Single();
        Assert.Equal(2, delivery.Attempts);
    }

    [Fact]
    public async Task GoneDisablesTheEndpointWithItsReason()
    {
        receiver.Respond = (_, _) => (410, TimeSpan.Zero);
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url);
        var first = await server.Client.CreateAsync();

        await Eventually(async () => !(await server.Webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = endpoint.Id })).Endpoint.Enabled,
            "the endpoint disabled");
        var disabled = (await server.Webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = endpoint.Id })).Endpoint;
        Assert.Contains("410", disabled.DisabledReason);
        await server.Client.CreateAsync();
        await Task.Delay(500);
        // Only the first event was sent: once, or again if its first answer came after the request's timeout (a
        // busy machine), which is a failure and retried; nothing after the endpoint was disabled.
        Assert.NotEmpty(receiver.Received);
        Assert.All(receiver.Received, r => Assert.Equal(first.Id, r.ConversationId));
        Assert.Single(receiver.Received.Select(r => r.Id).Distinct());
    }

    [Fact]
    public async Task AnEndpointFailingForTooLongIsDisabled()
    {
        using var quick = new WebhookServer(new Dictionary<string, string?> { ["Webhooks:DisableAfter"] = "00:00:01" });
        receiver.Respond = (_, _) => (503, TimeSpan.Zero);
        var (endpoint, _) = await quick.CreateEndpointAsync(receiver.Url);
        await quick.Client.CreateAsync();

        await Eventually(async () => !(await quick.Webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = endpoint.Id })).Endpoint.Enabled,
            "the endpoint disabled", 15);
        var disabled = (await quick.Webhooks.GetWebhookEndpointAsync(new GetWebhookEndpointRequest { Id = endpoint.Id })).Endpoint;
        Assert.Contains("503", disabled.DisabledReason);

        // Enabled again, it clears the reason and delivers what was pending.
        receiver.Respond = (_, _) => (200, TimeSpan.Zero);
        var enabled = (await quick.Webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Id = endpoint.Id, Enabled = true },
            UpdateMask = new() { Paths = { "enabled" } },
        })).Endpoint;
        Assert.Equal("", enabled.DisabledReason);
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 1), "the pending event delivered");
    }

    [Fact]
    public async Task EventsOfOneConversationArriveInLogOrderWhileConversationsGoInParallel()
    {
        var random = new Random(16);
        receiver.Respond = (_, _) =>
        {
            lock (random)
            {
                return (random.Next(5) == 0 ? 500 : 200, TimeSpan.FromMilliseconds(random.Next(20, 60)));
            }
        };
        await server.CreateEndpointAsync(receiver.Url, e => e.EventTypes.Add(ConversationEventType.MessageAdded));
        const int conversations = 6, messages = 5;
        var ids = new List<string>();
        for (var c = 0; c < conversations; c++)
        {
            ids.Add((await server.Client.CreateAsync()).Id);
        }
        for (var m = 0; m < messages; m++)
        {
            foreach (var id in ids)
            {
                await server.Client.SendAsync(id, SenderType.Customer, $"m{m}");
            }
        }

        await Eventually(() => Task.FromResult(receiver.Acknowledged.Select(r => r.Id).Distinct().Count() == conversations * messages),
            "every message delivered", 30);
        foreach (var id in ids)
        {
            var acked = new HashSet<int>();
            foreach (var r in receiver.Received.Where(r => r.ConversationId == id))
            {
                var index = int.Parse(r.Content![1..]);
                Assert.True(Enumerable.Range(0, index).All(acked.Contains), $"m{index} of {id} was sent before an earlier message was acknowledged");
                if (r.Status == 200)
                {
                    acked.Add(index);
                }
            }
        }
        Assert.True(receiver.MaxInFlight > 1, "conversations should be delivered in parallel");
    }

    [Fact]
    public async Task ASlowConversationHoldsBackOnlyItself()
    {
        // The receiver takes 8 s for one conversation's requests; the others' events go on meanwhile, each as
        // soon as a request slot is free (not when the slow request ends).
        using var server = new WebhookServer(new Dictionary<string, string?> { ["Webhooks:Timeout"] = "00:00:30" });
        var slow = await server.Client.CreateAsync();
        receiver.Respond = (_, body) => (200, body.Contains(slow.Id, StringComparison.Ordinal) ? TimeSpan.FromSeconds(8) : TimeSpan.Zero);
        await server.CreateEndpointAsync(receiver.Url, e => e.EventTypes.Add(ConversationEventType.MessageAdded));
        await server.Client.SendAsync(slow.Id, SenderType.Customer, "slow");
        await Eventually(() => Task.FromResult(receiver.MaxInFlight == 1), "the slow request in flight");
        var others = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var other = await server.Client.CreateAsync();
            others.Add(other.Id);
            for (var m = 0; m < 5; m++)
            {
                await server.Client.SendAsync(other.Id, SenderType.Customer, $"m{m}");
            }
        }

        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count(r => others.Contains(r.ConversationId)) == 15), "the other conversations' 15 events");
        Assert.DoesNotContain(receiver.Received, r => r.ConversationId == slow.Id);   // still in flight: the others did not wait for it
    }

    [Fact]
    public async Task RedeliveryFromACursorSendsTheLaterEventsAgainWithTheirIds()
    {
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url);
        var conversation = await server.Client.CreateAsync();
        await server.Client.SendAsync(conversation.Id, SenderType.Customer, "one");
        await server.Client.SendAsync(conversation.Id, SenderType.Customer, "two");
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 3), "three deliveries");
        var first = receiver.Acknowledged.Select(r => r.Id).ToList();

        await server.Webhooks.RedeliverWebhookEventsAsync(new RedeliverWebhookEventsRequest { EndpointId = endpoint.Id, AfterCursor = first[0] });

        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 5), "two redeliveries");
        await Task.Delay(300);
        Assert.Equal([.. first, first[1], first[2]], receiver.Acknowledged.Select(r => r.Id));
        await FailsOnField("after_cursor", () => server.Webhooks.RedeliverWebhookEventsAsync(
            new RedeliverWebhookEventsRequest { EndpointId = endpoint.Id, AfterCursor = "not-a-cursor" }).ResponseAsync);
    }

    [Fact]
    public async Task ARedeliveryAskedWhileAnEventIsInFlightSendsItAgainAfterThatAnswer()
    {
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url);
        var conversation = await server.Client.CreateAsync();
        await server.Client.SendAsync(conversation.Id, SenderType.Customer, "one");
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 2), "two deliveries");
        var first = receiver.Acknowledged.Select(r => r.Id).ToList();
        // The first request for "two" is slow: the redelivery is asked while it is in flight, and the dispatcher
        // reads the log again (every 50 ms) before it is answered.
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = (_, body) => body.Contains("\"two\"") && arrived.TrySetResult() ? (200, TimeSpan.FromMilliseconds(600)) : (200, TimeSpan.Zero);
        await server.Client.SendAsync(conversation.Id, SenderType.Customer, "two");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await server.Webhooks.RedeliverWebhookEventsAsync(new RedeliverWebhookEventsRequest { EndpointId = endpoint.Id, AfterCursor = first[0] });

        // That answer acknowledges the request that was sent, not the redelivery recorded meanwhile.
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 5), "the in-flight answer and two redeliveries");
        var two = receiver.Acknowledged[2].Id;
        Assert.Equal([.. first, two, first[1], two], receiver.Acknowledged.Select(r => r.Id));
    }

    [Fact]
    public async Task DuringARotationBothSecretsSign()
    {
        var (endpoint, old) = await server.CreateEndpointAsync(receiver.Url);
        var rotated = await server.Webhooks.RotateWebhookSecretAsync(new RotateWebhookSecretRequest { Id = endpoint.Id });
        Assert.NotEqual(old, rotated.Secret);
        Assert.NotNull(rotated.Endpoint.PreviousSecretExpireTime);
        await server.Client.CreateAsync();

        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 1), "a delivery");
        var r = receiver.Acknowledged[0];
        var signatures = r.Headers["webhook-signature"].ToString().Split(' ');
        Assert.Equal(2, signatures.Length);
        new StandardWebhook(rotated.Secret).Verify(r.Body, r.Headers);
        // StandardWebhooks 1.1.2 matched only the first of several signatures here: the old secret's is
        // checked on its own, as a receiver that still has the old secret reads it.
        new StandardWebhook(old).Verify(r.Body, new HeaderDictionary(r.Headers.ToDictionary(h => h.Key, h => h.Value))
        {
            ["webhook-signature"] = signatures[1],
        });
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(old).Verify(r.Body, new HeaderDictionary(r.Headers.ToDictionary(h => h.Key, h => h.Value))
        {
            ["webhook-signature"] = signatures[0],
        }));
    }

    [Fact]
    public async Task TestEventsAreSignedAndAnswerTheReceiversStatus()
    {
        var (endpoint, secret) = await server.CreateEndpointAsync(receiver.Url, e => e.Enabled = false);
        receiver.Respond = (_, _) => (418, TimeSpan.Zero);
        var answer = await server.Webhooks.SendTestWebhookEventAsync(new SendTestWebhookEventRequest { EndpointId = endpoint.Id });
        Assert.Equal(418, answer.StatusCode);
        Assert.Contains("418", answer.Error);
        var r = Assert.Single(receiver.Received);
        Assert.Equal("webhook.test", r.Type);
        new StandardWebhook(secret).Verify(r.Body, r.Headers);
    }

    private static string StandardWebhooksSecret() => "whsec_" + Convert.ToBase64String(new byte[32]);
}
