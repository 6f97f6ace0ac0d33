using Timely.Server.Domain;

namespace Timely.Server.UnitTests.Domain;

/// <summary>The rules of Domain/Receipts.cs: delivery statuses only move forward whatever order reports
/// arrive in, the listed horizons, who may edit and redact.</summary>
public sealed class ReceiptsTests
{
    private static readonly DateTimeOffset T = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void StatusesOnlyMoveForwardInEveryOrderOfReports()
    {
        DeliveryStatus[] all = [DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Read, DeliveryStatus.Failed];
        foreach (var order in Permutations(all))
        {
            var delivery = MessageDelivery.Nothing;
            var moves = new List<DeliveryStatus>();
            foreach (var status in order)
            {
                if (Receipts.Report(delivery, status, "e", T) is { } next)
                {
                    Assert.True(next.Status > delivery.Status || (next.Status == DeliveryStatus.Failed && delivery.Status < DeliveryStatus.Delivered));
                    moves.Add(next.Status);
                    delivery = next;
                }
            }
            // Nothing is reported twice, and nothing follows READ or FAILED.
            Assert.Equal(moves.Distinct(), moves);
            Assert.True(moves[^1] is DeliveryStatus.Read or DeliveryStatus.Failed, string.Join(",", order));
        }
    }

    [Theory]
    [InlineData(DeliveryStatus.None, DeliveryStatus.Failed, true)]
    [InlineData(DeliveryStatus.Sent, DeliveryStatus.Failed, true)]
    [InlineData(DeliveryStatus.Delivered, DeliveryStatus.Failed, false)]
    [InlineData(DeliveryStatus.Read, DeliveryStatus.Delivered, false)]
    [InlineData(DeliveryStatus.Read, DeliveryStatus.Read, false)]
    [InlineData(DeliveryStatus.Failed, DeliveryStatus.Read, false)]
    [InlineData(DeliveryStatus.None, DeliveryStatus.Read, true)]
    public void AReportMovesTheStatusOnlyWhenItIsForward(DeliveryStatus current, DeliveryStatus reported, bool moves) =>
        Assert.Equal(moves, Receipts.Report(MessageDelivery.Nothing with { Status = current }, reported, "", T) is not null);

    [Fact]
    public void ListedHorizonsKeepOneEntryPerParticipantAndTheMostRecentHumans()
    {
        var horizons = new List<ReadHorizon>();
        var contact = Guid.NewGuid();
        horizons = Receipts.Listed(horizons, new ReadHorizon(ReadParticipant.Contact, contact, 1, T)).ToList();
        for (var i = 0; i < Receipts.MaxListedHumanHorizons + 5; i++)
        {
            horizons = Receipts.Listed(horizons, new ReadHorizon(ReadParticipant.HumanAgent, Guid.NewGuid(), i + 1, T.AddSeconds(i))).ToList();
        }
        horizons = Receipts.Listed(horizons, new ReadHorizon(ReadParticipant.Contact, contact, 7, T)).ToList();

        Assert.Equal(7, Assert.Single(horizons, h => h.Participant == ReadParticipant.Contact).ReadSequence);
        var humans = horizons.Where(h => h.Participant == ReadParticipant.HumanAgent).ToList();
        Assert.Equal(Receipts.MaxListedHumanHorizons, humans.Count);
        Assert.Equal(Receipts.MaxListedHumanHorizons + 5, humans[0].ReadSequence);   // the most recent reader first
    }

    [Fact]
    public void TheAiEditsItsOwnMessagesAndAHumanAlsoTheirOwn()
    {
        var human = Guid.NewGuid();
        var conversation = Examples.Conversation();
        var ai = Lifecycle.Append(conversation, Examples.Text(SenderType.Customer), Examples.Now).Message with { SenderType = SenderType.AiAgent };
        var humans = ai with { SenderType = SenderType.HumanAgent, SenderId = human };

        Receipts.CheckEdit(conversation, ai, SenderType.AiAgent, conversation.AgentId, null);
        Receipts.CheckEdit(conversation, ai, SenderType.HumanAgent, human, 1);
        Receipts.CheckEdit(conversation, humans, SenderType.HumanAgent, human, null);
        Assert.Throws<PermissionDeniedException>(() => Receipts.CheckEdit(conversation, humans, SenderType.HumanAgent, Guid.NewGuid(), null));
        Assert.Throws<PermissionDeniedException>(() => Receipts.CheckEdit(conversation, humans, SenderType.AiAgent, conversation.AgentId, null));
        Assert.Throws<EtagMismatchException>(() => Receipts.CheckEdit(conversation, ai, SenderType.AiAgent, conversation.AgentId, 2));
        Assert.Equal("MESSAGE_NOT_EDITABLE", Assert.Throws<TransitionRefusedException>(() =>
            Receipts.CheckEdit(conversation, ai with { SenderType = SenderType.Customer }, SenderType.HumanAgent, human, null)).Reason);
        Assert.Equal("MESSAGE_REDACTED", Assert.Throws<TransitionRefusedException>(() =>
            Receipts.CheckEdit(conversation, ai with { RedactedAt = T }, SenderType.AiAgent, conversation.AgentId, null)).Reason);
        Assert.Equal("TOO_MANY_REVISIONS", Assert.Throws<TransitionRefusedException>(() =>
            Receipts.CheckEdit(conversation, ai with { Revision = Receipts.MaxRevisions }, SenderType.AiAgent, conversation.AgentId, null)).Reason);
    }

    [Fact]
    public void AdminKeysRedactAnythingAndWriteKeysWhatTheyWrote()
    {
        var human = Guid.NewGuid();
        var conversation = Examples.Conversation();
        var customer = Lifecycle.Append(conversation, Examples.Text(SenderType.Customer), Examples.Now).Message with { SenderType = SenderType.Customer };
        var ai = customer with { SenderType = SenderType.AiAgent };
        var humans = customer with { SenderType = SenderType.HumanAgent, SenderId = human };

        Receipts.CheckRedact(customer, new Redactor(Guid.NewGuid(), Admin: true, Agent: null));
        Receipts.CheckRedact(ai, new Redactor(Guid.NewGuid(), Admin: false, Agent: null));
        Receipts.CheckRedact(humans, new Redactor(Guid.NewGuid(), Admin: false, Agent: human));
        Assert.Throws<PermissionDeniedException>(() => Receipts.CheckRedact(customer, new Redactor(Guid.NewGuid(), false, null)));
        Assert.Throws<PermissionDeniedException>(() => Receipts.CheckRedact(ai, new Redactor(Guid.NewGuid(), false, human)));
        Assert.Throws<PermissionDeniedException>(() => Receipts.CheckRedact(humans, new Redactor(Guid.NewGuid(), false, Guid.NewGuid())));
    }

    private static IEnumerable<T[]> Permutations<T>(T[] items) =>
        items.Length <= 1 ? [items] : items.SelectMany((x, i) => Permutations(items.Where((_, j) => j != i).ToArray()).Select(p => (T[])[x, .. p]));
}
