using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Api;
using Timely.Server.Auth;
using Timely.Server.Storage;
using Timely.Server.Tests.Conversations;

namespace Timely.Server.Tests.Webhooks;

/// <summary>The bad-input corpus of ConversationService, applied to WebhookService: every field of every
/// request (read from the contract), set to values a client may send by mistake or malice, on an
/// otherwise valid request. None may produce INTERNAL, UNKNOWN or a hang.</summary>
public sealed class WebhookBadInputCorpusTests : IAsyncLifetime
{
    private static readonly StatusCode[] Never = [StatusCode.Internal, StatusCode.Unknown, StatusCode.DeadlineExceeded];

    private readonly WebhookServer server = new();
    private readonly WebhookReceiver receiver = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        server.Dispose();
    }

    [Fact]
    public async Task NoFieldValueMakesAWebhookRpcFailInternally()
    {
        var invoker = new CorpusInvoker(server);
        foreach (var rpc in WebhookService.Descriptor.Methods)
        {
            var baseline = await invoker.CallAsync(rpc, await BaselineAsync(rpc));
            Assert.True(baseline.StatusCode == StatusCode.OK, $"the baseline of {rpc.Name} fails: {baseline.Detail}");
        }
        var cases = 0;
        foreach (var field in RequestField.All(WebhookService.Descriptor))
        {
            foreach (var (variant, set, loneSurrogate) in Variants(field.Leaf))
            {
                var request = await BaselineAsync(field.Rpc);
                set(field.Holder(request), field.Leaf);
                var status = await invoker.CallAsync(field.Rpc, request, loneSurrogate);
                Assert.False(Never.Contains(status.StatusCode), $"{field.Rpc.Name} {field.Name} = {variant}: {status.StatusCode} {status.Detail}");
                cases++;
            }
        }
        Assert.True(cases > 60, $"too few cases: {cases}");
    }

    private static IEnumerable<(string Variant, Action<IMessage, FieldDescriptor> Set, bool LoneSurrogate)> Variants(FieldDescriptor leaf)
    {
        switch (leaf.FieldType)
        {
            case FieldType.String when leaf.IsRepeated:
                yield return ("[\"\"]", (m, f) => ((System.Collections.IList)f.Accessor.GetValue(m)).Add(""), false);
                break;
            case FieldType.String:
                yield return ("empty", (m, f) => f.Accessor.SetValue(m, ""), false);
                yield return ("not a uuid", (m, f) => f.Accessor.SetValue(m, "not-a-uuid"), false);
                yield return ("NUL", (m, f) => f.Accessor.SetValue(m, "https://example.com/\0"), false);
                yield return ("100k characters", (m, f) => f.Accessor.SetValue(m, new string('a', 100_000)), false);
                yield return ("lone surrogate", (m, f) => f.Accessor.SetValue(m, "https://example.com/" + CorpusInvoker.SurrogateMarker), true);
                break;
            case FieldType.Int32:
                yield return ("-1", (m, f) => f.Accessor.SetValue(m, -1), false);
                yield return ("int.MaxValue", (m, f) => f.Accessor.SetValue(m, int.MaxValue), false);
                break;
            case FieldType.Enum when leaf.IsRepeated:
                yield return ("[0]", (m, f) => ((System.Collections.IList)f.Accessor.GetValue(m)).Add(Enum.ToObject(f.EnumType.ClrType, 0)), false);
                yield return ("[99]", (m, f) => ((System.Collections.IList)f.Accessor.GetValue(m)).Add(Enum.ToObject(f.EnumType.ClrType, 99)), false);
                yield return ("100 entries", (m, f) =>
                {
                    var list = (System.Collections.IList)f.Accessor.GetValue(m);
                    for (var i = 0; i < 100; i++)
                    {
                        list.Add(Enum.ToObject(f.EnumType.ClrType, 1));
                    }
                }, false);
                break;
            case FieldType.Bool:
                yield return ("true", (m, f) => f.Accessor.SetValue(m, true), false);
                break;
            case FieldType.Message when leaf.MessageType.FullName == "google.protobuf.Timestamp":
                yield return ("year 0001", (m, f) => f.Accessor.SetValue(m, new Google.Protobuf.WellKnownTypes.Timestamp { Seconds = -62135596800 }), false);
                break;
        }
    }

    /// <summary>A valid request of each RPC, on an endpoint of its own (disabled: nothing is delivered).</summary>
    private async Task<IMessage> BaselineAsync(MethodDescriptor rpc)
    {
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url, e => e.Enabled = false);
        var present = await server.GetService<EventLog>().GetPresentAsync(CancellationToken.None);
        var cursor = server.GetService<TokenCodec>().Cursor(Workspaces.Default, present);
        return rpc.Name switch
        {
            nameof(WebhookService.WebhookServiceClient.CreateWebhookEndpoint) =>
                new CreateWebhookEndpointRequest { Endpoint = new WebhookEndpoint { Url = receiver.Url } },
            nameof(WebhookService.WebhookServiceClient.GetWebhookEndpoint) => new GetWebhookEndpointRequest { Id = endpoint.Id },
            nameof(WebhookService.WebhookServiceClient.ListWebhookEndpoints) => new ListWebhookEndpointsRequest(),
            nameof(WebhookService.WebhookServiceClient.UpdateWebhookEndpoint) => new UpdateWebhookEndpointRequest
            {
                Endpoint = new WebhookEndpoint { Id = endpoint.Id, Url = receiver.Url }, UpdateMask = new() { Paths = { "url" } },
            },
            nameof(WebhookService.WebhookServiceClient.DeleteWebhookEndpoint) => new DeleteWebhookEndpointRequest { Id = endpoint.Id },
            nameof(WebhookService.WebhookServiceClient.RotateWebhookSecret) => new RotateWebhookSecretRequest { Id = endpoint.Id },
            nameof(WebhookService.WebhookServiceClient.ListWebhookDeliveries) => new ListWebhookDeliveriesRequest { EndpointId = endpoint.Id },
            nameof(WebhookService.WebhookServiceClient.RedeliverWebhookEvents) =>
                new RedeliverWebhookEventsRequest { EndpointId = endpoint.Id, AfterCursor = cursor },
            nameof(WebhookService.WebhookServiceClient.SendTestWebhookEvent) => new SendTestWebhookEventRequest { EndpointId = endpoint.Id },
            _ => throw new InvalidOperationException($"no baseline for {rpc.Name}: add one"),
        };
    }
}
