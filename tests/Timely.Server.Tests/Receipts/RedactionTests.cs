using System.Text;
using Dapper;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Npgsql;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using Timely.Server.Tests.Webhooks;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Receipts;

/// <summary>Issue 21: after a redaction no API returns the old text (get, list, search, stream replay, watch
/// replay from an old cursor, revisions, webhook retries and redelivery), and the database holds none of
/// it: on SQLite a byte search of the file after a checkpoint, on PostgreSQL a search of every text
/// column of every table.</summary>
public sealed class RedactionTests : IAsyncLifetime
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
    public async Task AfterARedactionNoApiAndNoByteOfTheDatabaseHoldsTheOldText()
    {
        const string secret = "zorblaxcard4111";   // lower case: full-text indexes store terms folded
        var client = server.Client;
        // The first customer message also becomes the subject: that goes too.
        var ingested = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = $"my card is {secret}\nplease help",
            Metadata = { ["note"] = secret },
        });
        var conversation = ingested.Conversation;
        Assert.Contains(secret, conversation.Subject);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var watch = client.WatchConversations(new WatchConversationsRequest { ConversationId = conversation.Id }, cancellationToken: timeout.Token);
        await watch.ResponseHeadersAsync;
        var ai = (await client.SendAsync(conversation.Id, SenderType.AiAgent, $"I saw {secret}, thanks")).Message;
        await client.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = ai.Id, Content = $"noted {secret}.", EditorType = SenderType.AiAgent,
        });
        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
        var oldCursor = watch.ResponseStream.Current.Event.Cursor;   // MESSAGE_ADDED of the AI's message

        // A webhook endpoint that is failing holds bodies with the text, waiting for a retry.
        var failing = true;
        receiver.Respond = (_, _) => (failing ? 503 : 200, TimeSpan.Zero);
        var (endpoint, _) = await server.CreateEndpointAsync(receiver.Url, e => e.ConversationId = conversation.Id);
        await client.SendAsync(conversation.Id, SenderType.AiAgent, $"one more {secret}");
        await Eventually(() => Task.FromResult(receiver.Received.Any(r => r.Body.Contains(secret))), "a failed delivery carrying the text");

        // Paused while redacting, so that no request is in flight across the redaction (one that left before it
        // may carry the text it read; every one that leaves after it must not).
        await EnabledAsync(endpoint.Id, false);
        await Task.Delay(1500);   // longer than Webhooks:Timeout
        foreach (var m in (await client.AllMessagesAsync(conversation.Id)))
        {
            await client.RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = m.Id });
        }
        var received = receiver.Received.Count;
        failing = false;
        await EnabledAsync(endpoint.Id, true);
        // The retries (the scrubbed body of the message added, the redactions), then a redelivery from before the edit.
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 4), "the retries to be delivered");
        await server.Webhooks.RedeliverWebhookEventsAsync(new RedeliverWebhookEventsRequest { EndpointId = endpoint.Id, AfterCursor = oldCursor });
        await Eventually(() => Task.FromResult(receiver.Acknowledged.Count == 4 + 5), "the redeliveries (edited, added, three redacted)");
        var seen = new List<IMessage>();
        var listed = await client.AllMessagesAsync(conversation.Id);
        seen.AddRange(listed);
        Assert.All(listed, m => Assert.True(m.Redacted && m.Content == "" && m.Metadata.Count == 0 && m.RedactedAt is not null));
        Assert.All(listed, m => Assert.True(Guid.TryParse(m.RedactedBy, out _), "redacted_by is the key's id"));
        Assert.Equal([1L, 2L, 3L], listed.Select(m => m.Sequence));
        seen.Add(await client.GetAsync(conversation.Id));
        seen.Add(await client.GetMessageAsync(new GetMessageRequest { ConversationId = conversation.Id, MessageId = ai.Id }));
        seen.Add(await client.ListMessageRevisionsAsync(new ListMessageRevisionsRequest { ConversationId = conversation.Id, MessageId = ai.Id }));
        seen.Add(await client.SearchMessagesAsync(new SearchMessagesRequest { Query = secret }));
        Assert.Empty((await client.SearchConversationsAsync(new SearchConversationsRequest { Query = secret })).Conversations);
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });
        using (var replay = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, IncludeUpdates = true }, cancellationToken: timeout.Token))
        {
            while (await replay.ResponseStream.MoveNext(timeout.Token))
            {
                seen.Add(replay.ResponseStream.Current);
            }
        }
        using (var rewatch = client.WatchConversations(new WatchConversationsRequest { ConversationId = conversation.Id, AfterCursor = oldCursor },
            cancellationToken: timeout.Token))
        {
            var types = new List<ConversationEventType>();
            while (types.LastOrDefault() != ConversationEventType.StatusChanged && await rewatch.ResponseStream.MoveNext(timeout.Token))
            {
                seen.Add(rewatch.ResponseStream.Current);
                types.Add(rewatch.ResponseStream.Current.Event.Type);
            }
            Assert.Equal(3, types.Count(t => t == ConversationEventType.MessageRedacted));
        }
        Assert.All(seen, item => Assert.DoesNotContain(secret, JsonFormatter.Default.Format(item)));
        var afterRedaction = receiver.Received.Skip(received).ToList();
        Assert.NotEmpty(afterRedaction);
        Assert.All(afterRedaction, r => Assert.DoesNotContain(secret, r.Body));

        await AssertDatabaseDoesNotHoldAsync(secret);
    }

    [Fact]
    public async Task AnAutomaticSubjectChangedSinceIsErasedFromTheLogToo()
    {
        const string secret = "quokkapassport88";
        var client = server.Client;
        var ingested = await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
        {
            ChannelId = NewId(), ContactId = NewId(), AgentId = NewId(), Content = $"passport {secret}",
        });
        var id = ingested.Conversation.Id;
        await client.UpdateConversationAsync(new UpdateConversationRequest { Conversation = new Conversation { Id = id, Subject = "Travel documents" } });

        await client.RedactMessageAsync(new RedactMessageRequest { ConversationId = id, MessageId = ingested.Message.Id });

        Assert.Equal("Travel documents", (await client.GetAsync(id)).Subject);   // not the message's: it stays
        // The events written before the update hold the automatic subject in their snapshots: scrubbed too.
        await AssertDatabaseDoesNotHoldAsync(secret);
    }

    [Fact]
    public async Task OnlyAdminKeysAndTheWritersKeyMayRedact()
    {
        var client = server.Client;
        var human = Guid.NewGuid();
        var (bound, _) = await server.CreateKeyAsync("default", ApiKeyScope.Write, human);
        var (backend, _) = await server.CreateKeyAsync("default", ApiKeyScope.Write);
        var conversation = await client.CreateAsync();
        var customer = (await client.SendAsync(conversation.Id, SenderType.Customer, "hi")).Message;
        var ai = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "hello")).Message;
        var mine = (await client.SendAsync(conversation.Id, SenderType.HumanAgent, "human here", human.ToString())).Message;

        var denied = await FailsWith(StatusCode.PermissionDenied, () => server.ClientWith(backend)
            .RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = customer.Id }).ResponseAsync);
        Assert.Equal("NOT_MESSAGE_WRITER", denied.ErrorInfo()?.Reason);
        await FailsWith(StatusCode.PermissionDenied, () => server.ClientWith(bound)
            .RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = ai.Id }).ResponseAsync);
        var byBackend = await server.ClientWith(backend).RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = ai.Id });
        var byHuman = await server.ClientWith(bound).RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = mine.Id });
        var again = await client.RedactMessageAsync(new RedactMessageRequest { ConversationId = conversation.Id, MessageId = mine.Id });

        Assert.True(byBackend.Message.Redacted);
        Assert.True(byHuman.Message.Redacted);
        Assert.Equal(byHuman.Message, again.Message);   // once redacted, it stays as it was
        var refused = await FailsWith(StatusCode.FailedPrecondition, () => client.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = ai.Id, Content = "back", EditorType = SenderType.AiAgent,
        }).ResponseAsync);
        Assert.Equal("MESSAGE_REDACTED", refused.ErrorInfo()?.Reason);
        await FailsWith(StatusCode.NotFound, () => client.RedactMessageAsync(new RedactMessageRequest
        {
            ConversationId = conversation.Id, MessageId = NewId(),
        }).ResponseAsync);
    }

    private Task EnabledAsync(string endpointId, bool enabled) =>
        server.Webhooks.UpdateWebhookEndpointAsync(new UpdateWebhookEndpointRequest
        {
            Endpoint = new WebhookEndpoint { Id = endpointId, Enabled = enabled },
            UpdateMask = new() { Paths = { "enabled" } },
        }).ResponseAsync;

    private async Task AssertDatabaseDoesNotHoldAsync(string secret)
    {
        if (server.Postgres is { } postgres)
        {
            await using var c = new NpgsqlConnection(postgres.ConnectionString);
            var columns = await c.QueryAsync<(string Table, string Column)>(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'text'");
            foreach (var (table, column) in columns)
            {
                var hits = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" LIKE @Pattern", new { Pattern = $"%{secret}%" });
                Assert.True(hits == 0, $"{table}.{column} still holds the redacted text");
            }
            return;
        }
        var path = Path.Combine(server.DataFolder, "timely.db");
        await using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await c.OpenAsync();
            // A checkpoint is busy while any connection is reading (the server's background work reads too):
            // again until one copies the whole log into the database file.
            await Eventually(async () => (await c.QuerySingleAsync<(long Busy, long, long)>("PRAGMA wal_checkpoint(TRUNCATE)")).Busy == 0,
                "a full checkpoint");
        }
        foreach (var file in new[] { path, path + "-wal" }.Where(File.Exists))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} still holds the redacted text");
        }
    }
}
