using System.Diagnostics.Metrics;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

public sealed class MessagingTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task ConcurrentSendsToOneConversationGetOneToNWithNoGapOrRepeat()
    {
        var conversation = await client.CreateAsync();
        const int writers = 8, perWriter = 250;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await client.SendAsync(conversation.Id, SenderType.Customer, $"writer {w} message {i}");
            }
        })));

        var messages = await client.AllMessagesAsync(conversation.Id);
        Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => (long)i), messages.Select(m => m.Sequence));
        Assert.Equal(writers * perWriter, messages.Select(m => m.Content).Distinct().Count());
        Assert.Equal(writers * perWriter, (await client.GetAsync(conversation.Id)).LastSequence);
    }

    /// <summary>Concurrent sends are written together (in append batches; on SQLite, each batch one write of a group
    /// commit): each still gets its own answer, a refused or unknown one fails alone, and retries of one request id
    /// write once. No batch may fail: the appends of a failed batch are written again one by one, which would hide
    /// a batch that fails the whole transaction for one bad append.</summary>
    [Fact]
    public async Task ConcurrentSendsWrittenTogetherEachGetTheirOwnAnswer()
    {
        var batches = new List<(int Size, string? Outcome)>();
        using var listener = RecordBatches(batches);
        var open = await client.CreateAsync();
        var closed = await client.CreateAsync();
        await client.CloseConversationAsync(new CloseConversationRequest { Id = closed.Id });
        var missing = NewId();
        var retried = new SendMessageRequest { ConversationId = open.Id, SenderType = SenderType.Customer, Content = "retried", RequestId = NewId() };
        const int rounds = 4, perKind = 12;

        for (var round = 0; round < rounds; round++)
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<SendMessageResponse> Send(SendMessageRequest request) => Task.Run(async () =>
            {
                await start.Task;
                return await client.SendMessageAsync(request);
            });
            var fine = Enumerable.Range(0, perKind).Select(i => Send(new SendMessageRequest
            {
                ConversationId = open.Id, SenderType = SenderType.Customer, Content = $"round {round} message {i}", RequestId = NewId(),
            })).ToList();
            var refused = Enumerable.Range(0, perKind).Select(_ => Send(new SendMessageRequest
            {
                ConversationId = closed.Id, SenderType = SenderType.Customer, Content = "too late",
            })).ToList();
            var unknown = Enumerable.Range(0, perKind).Select(_ => Send(new SendMessageRequest
            {
                ConversationId = missing, SenderType = SenderType.Customer, Content = "nobody",
            })).ToList();
            var retries = Enumerable.Range(0, perKind).Select(_ => Send(retried)).ToList();
            start.SetResult();

            await Task.WhenAll(fine);
            foreach (var call in refused)
            {
                var error = await Assert.ThrowsAsync<RpcException>(() => call);
                Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
            }
            foreach (var call in unknown)
            {
                Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => call)).StatusCode);
            }
            var answers = await Task.WhenAll(retries);
            Assert.Single(answers.Select(a => a.Message.Id).Distinct());
        }

        var messages = await client.AllMessagesAsync(open.Id);
        Assert.Equal(Enumerable.Range(1, rounds * perKind + 1).Select(i => (long)i), messages.Select(m => m.Sequence));
        Assert.Single(messages, m => m.Content == "retried");
        Assert.Equal(rounds * perKind + 1, (await client.GetAsync(open.Id)).LastSequence);
        Assert.Empty(await client.AllMessagesAsync(closed.Id));
        lock (batches)
        {
            Assert.All(batches, b => Assert.Equal("committed", b.Outcome));
            Assert.Contains(batches, b => b.Size > 1);
        }
    }

    [Fact]
    public async Task ConcurrentIngestFromOneNewContactCreatesExactlyOneConversation()
    {
        var (channel, contact, agent) = (NewId(), NewId(), NewId());

        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
            await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
            {
                ChannelId = channel, ContactId = contact, AgentId = agent, Content = $"hello {i}", ExternalId = $"wa-{i}",
            }))));

        Assert.Single(responses.Select(r => r.Conversation.Id).Distinct());
        Assert.Single(responses, r => r.ConversationCreated);
        var list = await client.ListConversationsAsync(new ListConversationsRequest { ContactId = contact });
        Assert.Single(list.Conversations);
        Assert.Equal(24, list.Conversations[0].LastSequence);
    }

    /// <summary>Concurrent inbound messages from contacts with an open conversation: each new channel message is
    /// written once, in order; a message the channel delivers several times at the same moment (same external id) is
    /// written once and every delivery answered with it; and a contact whose conversation closes meanwhile loses none
    /// (those that arrive after the close open one new conversation). On PostgreSQL they are written in append
    /// batches (each write commits alone there); on SQLite each in a transaction of its group.</summary>
    [Fact]
    public async Task ConcurrentInboundMessagesAreWrittenOnceEachAndNoneIsLostToAClose()
    {
        var batches = new List<(int Size, string? Outcome)>();
        using var listener = RecordBatches(batches);
        var (channel, agent) = (NewId(), NewId());
        var contacts = new[] { NewId(), NewId() };
        var open = new List<string>();
        foreach (var contact in contacts)
        {
            open.Add((await Ingest(channel, contact, agent, "first")).Conversation.Id);
        }
        const int rounds = 3, perContact = 16;

        for (var round = 0; round < rounds; round++)
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<IngestCustomerMessageResponse> Deliver(string contact, string content, string externalId) => Task.Run(async () =>
            {
                await start.Task;
                return await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest
                {
                    ChannelId = channel, ContactId = contact, AgentId = agent, Content = content, ExternalId = externalId,
                });
            });
            var fresh = contacts.SelectMany(c => Enumerable.Range(0, perContact).Select(i => Deliver(c, $"round {round} message {i}", NewId()))).ToList();
            var redelivered = Enumerable.Range(0, perContact).Select(_ => Deliver(contacts[0], $"round {round} redelivered", $"wamid-{round}")).ToList();
            start.SetResult();

            Assert.All(await Task.WhenAll(fresh), r => Assert.False(r.Duplicate || r.ConversationCreated));
            var deliveries = await Task.WhenAll(redelivered);
            Assert.Single(deliveries.Select(d => d.Message.Id).Distinct());
            Assert.Single(deliveries, d => !d.Duplicate);
        }
        for (var c = 0; c < contacts.Length; c++)
        {
            var messages = await client.AllMessagesAsync(open[c]);
            var expected = 1 + rounds * (perContact + (c == 0 ? 1 : 0));
            Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), messages.Select(m => m.Sequence));
            Assert.Equal(expected, messages.Select(m => m.Content).Distinct().Count());
        }
        lock (batches)
        {
            Assert.Equal(server.Postgres is not null, batches.Any(b => b.Size > 1));
        }

        // A close at the same moment: every message is written once, in the conversation or in one new one.
        var closing = contacts[1];
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = Enumerable.Range(0, perContact).Select(i => Task.Run(async () =>
        {
            await gate.Task;
            return await Ingest(channel, closing, agent, $"around the close {i}");
        })).ToList();
        var close = Task.Run(async () =>
        {
            await gate.Task;
            await client.CloseConversationAsync(new CloseConversationRequest { Id = open[1] });
        });
        gate.SetResult();
        var answers = await Task.WhenAll(late);
        await close;
        var written = new List<string>();
        foreach (var id in answers.Select(a => a.Conversation.Id).Append(open[1]).Distinct())
        {
            written.AddRange((await client.AllMessagesAsync(id)).Select(m => m.Content).Where(m => m.StartsWith("around the close", StringComparison.Ordinal)));
        }
        Assert.Equal(Enumerable.Range(0, perContact).Select(i => $"around the close {i}").Order(), written.Order());
        Assert.True(answers.Count(a => a.ConversationCreated) <= 1);
        Assert.True(answers.Select(a => a.Conversation.Id).Distinct().Count() <= 2);
    }

    [Fact]
    public async Task IngestAppendsToOpenConversationAndOpensANewOneAfterClose()
    {
        var (channel, contact, agent) = (NewId(), NewId(), NewId());
        var first = await Ingest(channel, contact, agent, "My package arrived broken\nOrder #1234, it was a vase");
        Assert.True(first.ConversationCreated);
        Assert.Equal("My package arrived broken", first.Conversation.Subject);
        Assert.Equal(ConversationStatus.Open, first.Conversation.Status);
        Assert.Equal(contact, first.Message.SenderId);
        Assert.Equal(SenderType.Customer, first.Message.SenderType);

        var second = await Ingest(channel, contact, agent, "Hello?");
        Assert.False(second.ConversationCreated);
        Assert.Equal(first.Conversation.Id, second.Conversation.Id);
        Assert.Equal(2, second.Message.Sequence);

        // The same contact on another channel is another conversation.
        var otherChannel = await Ingest(NewId(), contact, agent, "Hi from email");
        Assert.True(otherChannel.ConversationCreated);

        await client.CloseConversationAsync(new CloseConversationRequest { Id = first.Conversation.Id });
        var afterClose = await Ingest(channel, contact, agent, "One more thing");
        Assert.True(afterClose.ConversationCreated);
        Assert.NotEqual(first.Conversation.Id, afterClose.Conversation.Id);
        Assert.Equal(1, afterClose.Message.Sequence);
    }

    [Fact]
    public async Task AutomaticSubjectIsTheFirstLineCutAtEightyCharacters()
    {
        var longLine = new string('x', 100);
        var response = await Ingest(NewId(), NewId(), NewId(), $"\n  {longLine}\nsecond line");
        Assert.Equal(new string('x', 80), response.Conversation.Subject);

        // An explicit subject is kept.
        var created = await client.CreateAsync(subject: "Billing question");
        Assert.Equal("Billing question", created.Subject);
    }

    [Fact]
    public async Task EveryMessageMovesLastMessageAt()
    {
        var conversation = await client.CreateAsync();
        Assert.Null(conversation.LastMessageAt);
        var first = await client.SendAsync(conversation.Id, SenderType.Customer, "one");
        Assert.Equal(first.Message.CreatedAt, first.Conversation.LastMessageAt);
        await Task.Delay(5);
        var second = await client.SendAsync(conversation.Id, SenderType.AiAgent, "two");
        Assert.True(second.Conversation.LastMessageAt.ToDateTimeOffset() > first.Conversation.LastMessageAt.ToDateTimeOffset());
        Assert.Equal(second.Conversation.LastMessageAt, (await client.GetAsync(conversation.Id)).LastMessageAt);
    }

    [Fact]
    public async Task MediaMessagesKeepTheirUrlTypeAndMetadata()
    {
        var conversation = await client.CreateAsync();
        var request = new SendMessageRequest
        {
            ConversationId = conversation.Id,
            SenderType = SenderType.Customer,
            MessageType = MessageType.Image,
            MediaUrl = "https://cdn.example.com/photos/broken-vase.jpg",
            MediaType = "image/jpeg",
            Metadata = { ["whatsapp_id"] = "wamid.123", ["lang"] = "pt-BR" },
        };
        var sent = (await client.SendMessageAsync(request)).Message;
        var listed = (await client.AllMessagesAsync(conversation.Id)).Single();
        Assert.Equal(sent, listed);
        Assert.Equal(MessageType.Image, listed.MessageType);
        Assert.Equal("image/jpeg", listed.MediaType);
        Assert.Equal("pt-BR", listed.Metadata["lang"]);
    }

    [Fact]
    public async Task RetriedCreateWithSameRequestIdReturnsTheFirstConversation()
    {
        var agent = NewId();
        var request = new CreateConversationRequest { AgentId = agent, ChannelId = NewId(), ContactId = NewId(), RequestId = NewId() };
        var first = (await client.CreateConversationAsync(request)).Conversation;
        var retries = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.CreateConversationAsync(request).ResponseAsync));

        Assert.All(retries, r => Assert.Equal(first.Id, r.Conversation.Id));
        Assert.Single((await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent })).Conversations);
    }

    [Fact]
    public async Task RetriedSendWithSameRequestIdWritesOnce()
    {
        var conversation = await client.CreateAsync();
        var request = new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "refund please", RequestId = NewId() };
        var first = await client.SendMessageAsync(request);
        var retry = await client.SendMessageAsync(request);

        Assert.Equal(first.Message, retry.Message);
        Assert.Single(await client.AllMessagesAsync(conversation.Id));
        Assert.Equal(1, (await client.GetAsync(conversation.Id)).LastSequence);
    }

    [Fact]
    public async Task RetriedSendWithItsMetadataInAnotherOrderIsTheSameRequest()
    {
        // A client that re-serialises its request (another language, a map rebuilt) may send map
        // entries in another order: still the same request.
        var conversation = await client.CreateAsync();
        var request = new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "hi", RequestId = NewId() };
        var first = await client.SendMessageAsync(new SendMessageRequest(request) { Metadata = { ["a"] = "1", ["b"] = "2" } });
        var retry = await client.SendMessageAsync(new SendMessageRequest(request) { Metadata = { ["b"] = "2", ["a"] = "1" } });

        Assert.Equal(first.Message, retry.Message);
        Assert.Single(await client.AllMessagesAsync(conversation.Id));
        Assert.Equal(1, (await client.GetAsync(conversation.Id)).LastSequence);
    }

    [Fact]
    public async Task RequestIdReusedForAnotherRequestIsRefused()
    {
        var conversation = await client.CreateAsync();
        var requestId = NewId();
        await client.SendMessageAsync(new SendMessageRequest { ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "a", RequestId = requestId });
        await FailsOnField("request_id", () => client.SendMessageAsync(new SendMessageRequest
        {
            ConversationId = conversation.Id, SenderType = SenderType.Customer, Content = "b", RequestId = requestId,
        }).ResponseAsync);
        Assert.Single(await client.AllMessagesAsync(conversation.Id));
    }

    [Fact]
    public async Task IngestDedupesOnRequestIdAndOnExternalId()
    {
        var (channel, contact, agent) = (NewId(), NewId(), NewId());
        var byRequest = new IngestCustomerMessageRequest { ChannelId = channel, ContactId = contact, AgentId = agent, Content = "hi", RequestId = NewId() };
        var first = await client.IngestCustomerMessageAsync(byRequest);
        var retried = await client.IngestCustomerMessageAsync(byRequest);
        Assert.True(retried.Duplicate);
        Assert.False(retried.ConversationCreated);
        Assert.Equal(first.Message, retried.Message);

        var byExternal = new IngestCustomerMessageRequest { ChannelId = channel, ContactId = contact, AgentId = agent, Content = "again", ExternalId = "msg-42" };
        var stored = await client.IngestCustomerMessageAsync(byExternal);
        var redelivered = await client.IngestCustomerMessageAsync(byExternal);
        Assert.False(stored.Duplicate);
        Assert.True(redelivered.Duplicate);
        Assert.Equal(stored.Message, redelivered.Message);
        Assert.Equal(2, (await client.AllMessagesAsync(first.Conversation.Id)).Count);
    }

    [Fact]
    public async Task UpdateChangesOnlyTheMaskedFields()
    {
        var conversation = await client.CreateAsync(subject: "Old", tags: ["a"]);
        var updated = (await client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = conversation.Id, Subject = "New", Tags = { "b", "c" } },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "tags" } },
        })).Conversation;
        Assert.Equal("Old", updated.Subject);
        Assert.Equal(["b", "c"], updated.Tags);

        var both = (await client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = conversation.Id, Subject = "Newest" },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "subject", "tags" } },
        })).Conversation;
        Assert.Equal("Newest", both.Subject);
        Assert.Empty(both.Tags);
    }

    [Fact]
    public async Task UpdateOfAnotherFieldIsRefused()
    {
        var conversation = await client.CreateAsync(subject: "Keep");
        await FailsOnField("update_mask.paths[0]", () => client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = conversation.Id, Status = ConversationStatus.Closed },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "status" } },
        }).ResponseAsync);
        var unchanged = await client.GetAsync(conversation.Id);
        Assert.Equal(ConversationStatus.Open, unchanged.Status);
        Assert.Equal(conversation.Etag, unchanged.Etag);
    }

    [Fact]
    public async Task StaleEtagIsAbortedAndWritesNothing()
    {
        var conversation = await client.CreateAsync();
        await client.SendAsync(conversation.Id, SenderType.Customer, "moves the etag");

        await FailsWith(StatusCode.Aborted, () => client.HandoffConversationAsync(new HandoffConversationRequest
        {
            Id = conversation.Id, AssignedTo = NewId(), Etag = conversation.Etag,
        }).ResponseAsync);
        await FailsWith(StatusCode.Aborted, () => client.UpdateConversationAsync(new UpdateConversationRequest
        {
            Conversation = new Conversation { Id = conversation.Id, Subject = "x", Etag = conversation.Etag },
        }).ResponseAsync);
        await FailsWith(StatusCode.Aborted, () => client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id, Etag = conversation.Etag }).ResponseAsync);

        var current = await client.GetAsync(conversation.Id);
        Assert.Equal(ConversationStatus.Open, current.Status);
        Assert.Equal("", current.Subject);
        var closed = await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id, Etag = current.Etag });
        Assert.Equal(ConversationStatus.Closed, closed.Conversation.Status);
    }

    [Fact]
    public async Task ConcurrentConditionalHandoffsHaveOneWinner()
    {
        var conversation = await client.CreateAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            try
            {
                await client.HandoffConversationAsync(new HandoffConversationRequest { Id = conversation.Id, AssignedTo = NewId(), Etag = conversation.Etag });
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        })));
        Assert.Single(results, s => s == StatusCode.OK);
        Assert.All(results.Where(s => s != StatusCode.OK), s => Assert.Equal(StatusCode.Aborted, s));
    }

    /// <summary>Records each append batch the server writes, its size and outcome (timely.store.append_batch.size), until disposed.</summary>
    private MeterListener RecordBatches(List<(int Size, string? Outcome)> batches)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == server.GetService<IMeterFactory>() && instrument.Name == "timely.store.append_batch.size")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, size, tags, _) =>
        {
            lock (batches)
            {
                batches.Add((size, tags.ToArray().Single(t => t.Key == "timely.append_batch.outcome").Value as string));
            }
        });
        listener.Start();
        return listener;
    }

    private async Task<IngestCustomerMessageResponse> Ingest(string channel, string contact, string agent, string content) =>
        await client.IngestCustomerMessageAsync(new IngestCustomerMessageRequest { ChannelId = channel, ContactId = contact, AgentId = agent, Content = content });
}
