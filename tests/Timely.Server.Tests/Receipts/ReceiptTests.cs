using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Receipts;

/// <summary>Issue 21 on both stores: delivery statuses only move forward, read horizons are monotonic and
/// unread counts exact while messages arrive, edits keep the sequence and reach live subscribers once.</summary>
public sealed class ReceiptTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private readonly ConversationService.ConversationServiceClient client = server.Client;

    [Fact]
    public async Task DeliveryStatusOnlyMovesForwardUnderConcurrentOutOfOrderReports()
    {
        var conversation = await client.CreateAsync();
        var messages = new List<Message>();
        for (var i = 0; i < 4; i++)
        {
            messages.Add((await client.SendAsync(conversation.Id, SenderType.AiAgent, $"answer {i}")).Message);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var updates = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, AfterSequence = 4, IncludeUpdates = true },
            cancellationToken: timeout.Token);
        await updates.ResponseHeadersAsync;

        // 4 messages x 3 statuses x 4 copies each, shuffled, sent by 8 concurrent reporters.
        var reports = messages.SelectMany(m => new[] { DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Read }
            .SelectMany(s => Enumerable.Repeat((Message: m, Status: s), 4))).OrderBy(_ => Random.Shared.Next()).ToList();
        var changes = new System.Collections.Concurrent.ConcurrentBag<(string Message, DeliveryStatus Status)>();
        await Parallel.ForEachAsync(reports, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (r, ct) =>
        {
            var response = await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
            {
                ConversationId = conversation.Id, MessageId = r.Message.Id, Status = r.Status,
            }, cancellationToken: ct);
            Assert.True(response.Message.DeliveryStatus >= r.Status, "a report never leaves the status below what it reported");
            if (response.Changed)
            {
                changes.Add((r.Message.Id, r.Status));
            }
        });

        var listed = await client.AllMessagesAsync(conversation.Id);
        Assert.All(listed, m => Assert.Equal(DeliveryStatus.Read, m.DeliveryStatus));
        Assert.All(listed, m => Assert.NotNull(m.ReadAt));
        // Each message's status changed at most once per step, and its events arrive in increasing order.
        var events = new List<ConversationEvent>();
        while (events.Count < changes.Count && await updates.ResponseStream.MoveNext(timeout.Token))
        {
            events.Add(updates.ResponseStream.Current.Update);
        }
        Assert.All(events, e => Assert.Equal(ConversationEventType.MessageStatusChanged, e.Type));
        foreach (var m in messages)
        {
            var mine = events.Where(e => e.Message.Id == m.Id).Select(e => e.DeliveryStatus).ToList();
            Assert.Equal(mine.Order(), mine);
            Assert.Equal(mine.Distinct(), mine);
            Assert.Equal(DeliveryStatus.Read, mine[^1]);
            Assert.Equal(changes.Where(c => c.Message == m.Id).Select(c => c.Status).Order(), mine);
        }

        // Late and repeated reports change nothing and are not errors; FAILED after DELIVERED neither.
        foreach (var late in new[] { DeliveryStatus.Delivered, DeliveryStatus.Read, DeliveryStatus.Sent, DeliveryStatus.Failed })
        {
            var response = await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
            {
                ConversationId = conversation.Id, MessageId = messages[0].Id, Status = late,
                Error = late == DeliveryStatus.Failed ? "too late" : "",
            });
            Assert.False(response.Changed);
            Assert.Equal(DeliveryStatus.Read, response.Message.DeliveryStatus);
            Assert.Equal("", response.Message.DeliveryError);
        }
    }

    [Fact]
    public async Task TheChannelsIdNamesTheMessageInLaterReportsAndFailedIsFinal()
    {
        var conversation = await client.CreateAsync();
        var sent = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "hi")).Message;
        var externalId = "wamid." + NewId();
        var at = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

        var first = await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, MessageId = sent.Id, ExternalId = externalId, Status = DeliveryStatus.Sent, OccurredAt = at,
        });
        var failed = await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, ExternalId = externalId, Status = DeliveryStatus.Failed, Error = "131026 undeliverable",
        });
        var after = await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, ExternalId = externalId, Status = DeliveryStatus.Read,
        });

        Assert.True(first.Changed);
        Assert.Equal(at, first.Message.SentAt);
        Assert.Equal(externalId, first.Message.ExternalId);
        Assert.True(failed.Changed);
        Assert.Equal(DeliveryStatus.Failed, failed.Message.DeliveryStatus);
        Assert.Equal("131026 undeliverable", failed.Message.DeliveryError);
        Assert.False(after.Changed);
        Assert.Equal(DeliveryStatus.Failed, after.Message.DeliveryStatus);

        // Another message cannot take the same channel id; an unknown one is NOT_FOUND.
        var other = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "two")).Message;
        await FailsOnField("external_id", () => client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, MessageId = other.Id, ExternalId = externalId, Status = DeliveryStatus.Sent,
        }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, () => client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, ExternalId = "unknown", Status = DeliveryStatus.Sent,
        }).ResponseAsync);
    }

    [Fact]
    public async Task ReportsOnCustomerMessagesAndBadReportsAreRefusedByName()
    {
        var conversation = await client.CreateAsync();
        var customer = (await client.SendAsync(conversation.Id, SenderType.Customer, "hi")).Message;
        var ai = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "hello")).Message;

        var refused = await FailsWith(StatusCode.FailedPrecondition, () => client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, MessageId = customer.Id, Status = DeliveryStatus.Delivered,
        }).ResponseAsync);
        Assert.Equal("MESSAGE_NOT_OUTBOUND", refused.ErrorInfo()?.Reason);
        await FailsOnField("status", () => client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, MessageId = ai.Id,
        }).ResponseAsync);
        await FailsOnField("error", () => client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, MessageId = ai.Id, Status = DeliveryStatus.Read, Error = "not a failure",
        }).ResponseAsync);
        await FailsOnField("message_id", () => client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest
        {
            ConversationId = conversation.Id, Status = DeliveryStatus.Read,
        }).ResponseAsync);
    }

    [Fact]
    public async Task HorizonsAreMonotonicAndUnreadCountsExactWhileMessagesArrive()
    {
        var agent = NewId();
        var human = NewId();
        var conversation = await client.CreateAsync(agentId: agent);
        await client.SendAsync(conversation.Id, SenderType.Customer, "first");
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var sent = 1;
            while (!stop.IsCancellationRequested && sent < 400)
            {
                await client.SendAsync(conversation.Id, sent % 2 == 0 ? SenderType.Customer : SenderType.AiAgent, $"m{++sent}");
            }
        });

        // Readers mark read concurrently, often behind what another reader already marked.
        var marked = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 60), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var last = (await client.GetAsync(conversation.Id)).LastSequence;
            var upTo = Math.Max(1, last - Random.Shared.Next(0, 5));
            var response = await client.MarkReadAsync(new MarkReadRequest
            {
                ConversationId = conversation.Id, ParticipantType = ReadParticipantType.HumanAgent, ParticipantId = human, UpToSequence = upTo,
            }, cancellationToken: ct);
            var horizon = response.Conversation.ReadHorizons.Single(h => h.ParticipantId == human);
            Assert.True(horizon.ReadSequence >= upTo, "a horizon never ends below what was marked");
            marked.Add(upTo);
        });
        await client.MarkReadAsync(new MarkReadRequest { ConversationId = conversation.Id, ParticipantType = ReadParticipantType.Contact, UpToSequence = 1 });

        // Unread counts are exact at every moment, while the writer goes on.
        for (var i = 0; i < 10; i++)
        {
            var page = await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, UnreadFor = human });
            var listed = page.Conversations.Single();
            var horizon = listed.ReadHorizons.Single(h => h.ParticipantType == ReadParticipantType.HumanAgent).ReadSequence;
            Assert.Equal(marked.Max(), horizon);
            Assert.Equal(listed.LastSequence - horizon, listed.UnreadCount);
        }
        stop.Cancel();
        await writer;

        var end = await client.GetAsync(conversation.Id);
        var caughtUp = await client.MarkReadAsync(new MarkReadRequest
        {
            ConversationId = conversation.Id, ParticipantType = ReadParticipantType.HumanAgent, ParticipantId = human, UpToSequence = end.LastSequence,
        });
        var back = await client.MarkReadAsync(new MarkReadRequest
        {
            ConversationId = conversation.Id, ParticipantType = ReadParticipantType.HumanAgent, ParticipantId = human, UpToSequence = 1,
        });
        Assert.Equal(end.LastSequence > marked.Max(), caughtUp.Changed);
        Assert.False(back.Changed);
        Assert.Equal(end.LastSequence, back.Conversation.ReadHorizons.Single(h => h.ParticipantId == human).ReadSequence);
        Assert.Equal(end.Etag, back.Conversation.Etag);   // reading does not change the etag
        Assert.Equal(conversation.ContactId, back.Conversation.ReadHorizons.Single(h => h.ParticipantType == ReadParticipantType.Contact).ParticipantId);

        var unread = await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, UnreadFor = human, OnlyUnread = true });
        Assert.Empty(unread.Conversations);
        var someoneElse = await client.ListConversationsAsync(new ListConversationsRequest { AgentId = agent, UnreadFor = NewId(), OnlyUnread = true });
        Assert.Equal(end.LastSequence, someoneElse.Conversations.Single().UnreadCount);
        await FailsOnField("up_to_sequence", () => client.MarkReadAsync(new MarkReadRequest
        {
            ConversationId = conversation.Id, ParticipantType = ReadParticipantType.AiAgent, UpToSequence = end.LastSequence + 1,
        }).ResponseAsync);
        await FailsOnField("only_unread", () => client.ListConversationsAsync(new ListConversationsRequest { OnlyUnread = true }).ResponseAsync);
    }

    [Fact]
    public async Task AKeyBoundToAHumanAgentMarksReadAndEditsOnlyAsThatAgent()
    {
        var human = Guid.NewGuid();
        var (secret, _) = await server.CreateKeyAsync("default", ApiKeyScope.Write, human);
        var bound = server.ClientWith(secret);
        var conversation = await client.CreateAsync();
        var ai = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "wrong answer")).Message;

        var read = await bound.MarkReadAsync(new MarkReadRequest
        {
            ConversationId = conversation.Id, ParticipantType = ReadParticipantType.HumanAgent, UpToSequence = 1,
        });
        var edited = await bound.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = ai.Id, Content = "right answer", EditorType = SenderType.HumanAgent,
        });

        Assert.Equal(human.ToString(), read.Conversation.ReadHorizons.Single().ParticipantId);
        Assert.Equal("right answer", edited.Message.Content);
        var denied = await FailsWith(StatusCode.PermissionDenied, () => bound.MarkReadAsync(new MarkReadRequest
        {
            ConversationId = conversation.Id, ParticipantType = ReadParticipantType.Contact, UpToSequence = 1,
        }).ResponseAsync);
        Assert.Equal(AgentBinding.Reason, denied.ErrorInfo()?.Reason);
        await FailsWith(StatusCode.PermissionDenied, () => bound.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = ai.Id, Content = "x", EditorType = SenderType.HumanAgent, EditorId = NewId(),
        }).ResponseAsync);
        await FailsWith(StatusCode.PermissionDenied, () => bound.ListMessageRevisionsAsync(new ListMessageRevisionsRequest
        {
            ConversationId = conversation.Id, MessageId = ai.Id,
        }).ResponseAsync);
    }

    [Fact]
    public async Task AnEditKeepsTheSequenceAndReachesLiveSubscribersOnce()
    {
        var conversation = await client.CreateAsync();
        var human = NewId();
        var question = (await client.SendAsync(conversation.Id, SenderType.Customer, "When do you open?")).Message;
        var answer = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "We open at 8.")).Message;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var subscribers = new List<AsyncServerStreamingCall<StreamMessagesResponse>>();
        for (var i = 0; i < 3; i++)
        {
            var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, IncludeUpdates = true }, cancellationToken: timeout.Token);
            await call.ResponseHeadersAsync;
            subscribers.Add(call);
        }
        var plain = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, AfterSequence = 2 }, cancellationToken: timeout.Token);
        await plain.ResponseHeadersAsync;

        var edited = await client.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = answer.Id, Content = "We open at 9.", Revision = 1,
            EditorType = SenderType.HumanAgent, EditorId = human,
        });
        var after = (await client.SendAsync(conversation.Id, SenderType.Customer, "Thanks")).Message;
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });

        Assert.Equal(answer.Sequence, edited.Message.Sequence);
        Assert.Equal(2, edited.Message.Revision);
        Assert.NotNull(edited.Message.EditedAt);
        foreach (var call in subscribers)
        {
            var items = new List<StreamMessagesResponse>();
            while (await call.ResponseStream.MoveNext(timeout.Token))
            {
                items.Add(call.ResponseStream.Current);
            }
            Assert.Equal([1L, 2L, 3L], items.Where(i => i.Message is not null).Select(i => i.Message.Sequence));
            var update = Assert.Single(items, i => i.Update is not null).Update;
            Assert.Equal(ConversationEventType.MessageEdited, update.Type);
            Assert.Equal(2, update.Revision);
            Assert.Equal("We open at 9.", update.Message.Content);
            Assert.Equal(answer.Sequence, update.Message.Sequence);
        }
        var plainItems = new List<StreamMessagesResponse>();
        while (await plain.ResponseStream.MoveNext(timeout.Token))
        {
            plainItems.Add(plain.ResponseStream.Current);
        }
        Assert.Equal([after.Id], plainItems.Select(i => i.Message.Id));   // updates are opt-in
        foreach (var call in subscribers.Append(plain))
        {
            call.Dispose();
        }

        var listed = await client.AllMessagesAsync(conversation.Id);
        Assert.Equal(["When do you open?", "We open at 9.", "Thanks"], listed.Select(m => m.Content));
        Assert.Equal([1L, 2L, 1L], listed.Select(m => m.Revision));
        var revisions = (await client.ListMessageRevisionsAsync(new ListMessageRevisionsRequest
        {
            ConversationId = conversation.Id, MessageId = answer.Id,
        })).Revisions;
        Assert.Equal(["We open at 8.", "We open at 9."], revisions.Select(r => r.Content));
        Assert.Equal([SenderType.AiAgent, SenderType.HumanAgent], revisions.Select(r => r.EditorType));
        Assert.Equal(human, revisions[1].EditorId);

        // Stale revision, someone else's message, a customer's message: refused with reasons.
        await FailsWith(StatusCode.Aborted, () => client.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = answer.Id, Content = "8:30", Revision = 1, EditorType = SenderType.AiAgent,
        }).ResponseAsync);
        var notEditable = await FailsWith(StatusCode.FailedPrecondition, () => client.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = question.Id, Content = "x", EditorType = SenderType.HumanAgent, EditorId = human,
        }).ResponseAsync);
        Assert.Equal("MESSAGE_NOT_EDITABLE", notEditable.ErrorInfo()?.Reason);
        await FailsOnField("editor_id", () => client.EditMessageAsync(new EditMessageRequest
        {
            ConversationId = conversation.Id, MessageId = answer.Id, Content = "x", EditorType = SenderType.HumanAgent,
        }).ResponseAsync);
    }

    [Fact]
    public async Task UpdatesResumeAfterTheirCursorWithoutGapOrRepeat()
    {
        var conversation = await client.CreateAsync();
        var answer = (await client.SendAsync(conversation.Id, SenderType.AiAgent, "v1")).Message;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string cursor, start;
        using (var first = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, IncludeUpdates = true }, cancellationToken: timeout.Token))
        {
            start = (await first.ResponseHeadersAsync).GetValue("timely-update-cursor") ?? "";
            Assert.True(await first.ResponseStream.MoveNext(timeout.Token));   // message 1
            await client.EditMessageAsync(new EditMessageRequest
            {
                ConversationId = conversation.Id, MessageId = answer.Id, Content = "v2", EditorType = SenderType.AiAgent,
            });
            Assert.True(await first.ResponseStream.MoveNext(timeout.Token));
            cursor = first.ResponseStream.Current.Update.Cursor;
        }
        await client.EditMessageAsync(new EditMessageRequest { ConversationId = conversation.Id, MessageId = answer.Id, Content = "v3", EditorType = SenderType.AiAgent });
        await client.UpdateDeliveryStatusAsync(new UpdateDeliveryStatusRequest { ConversationId = conversation.Id, MessageId = answer.Id, Status = DeliveryStatus.Read });
        await client.CloseConversationAsync(new CloseConversationRequest { Id = conversation.Id });

        using var resumed = client.StreamMessages(new StreamMessagesRequest
        {
            ConversationId = conversation.Id, AfterSequence = 1, IncludeUpdates = true, AfterUpdateCursor = cursor,
        }, cancellationToken: timeout.Token);
        var rest = new List<ConversationEvent>();
        while (await resumed.ResponseStream.MoveNext(timeout.Token))
        {
            rest.Add(resumed.ResponseStream.Current.Update);
        }
        Assert.Equal([ConversationEventType.MessageEdited, ConversationEventType.MessageStatusChanged], rest.Select(e => e.Type));
        Assert.Equal(3, rest[0].Revision);

        // The cursor of the response headers resumes a stream that got no update before it dropped.
        using var fromStart = client.StreamMessages(new StreamMessagesRequest
        {
            ConversationId = conversation.Id, AfterSequence = 1, IncludeUpdates = true, AfterUpdateCursor = start,
        }, cancellationToken: timeout.Token);
        var all = new List<ConversationEvent>();
        while (await fromStart.ResponseStream.MoveNext(timeout.Token))
        {
            all.Add(fromStart.ResponseStream.Current.Update);
        }
        Assert.Equal([2L, 3L, 0L], all.Select(e => e.Revision));
        await FailsOnField("after_update_cursor", async () =>
        {
            using var call = client.StreamMessages(new StreamMessagesRequest { ConversationId = conversation.Id, AfterUpdateCursor = cursor });
            await call.ResponseStream.MoveNext();
        });
    }
}
