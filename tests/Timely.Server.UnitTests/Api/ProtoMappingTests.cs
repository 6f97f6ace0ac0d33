using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;
using Timely.Server.Api;
using Timely.Server.Domain;
using static Timely.Server.UnitTests.Examples;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/ProtoMapping.cs: every enum value both ways, unknown numbers to null, and the fields of
/// conversations, messages and events.</summary>
public sealed class ProtoMappingTests
{
    public static TheoryData<ConversationStatus> Statuses => [.. Enum.GetValues<ConversationStatus>()];
    public static TheoryData<SenderType> Senders => [.. Enum.GetValues<SenderType>()];
    public static TheoryData<MessageType> MessageTypes => [.. Enum.GetValues<MessageType>()];

    [Theory]
    [MemberData(nameof(Statuses))]
    public void StatusMapsBothWaysWithTheSameNumber(ConversationStatus status) => MapsBothWays(status, s => s.ToProto(), p => p.ToDomain());

    [Theory]
    [MemberData(nameof(Senders))]
    public void SenderTypeMapsBothWaysWithTheSameNumber(SenderType sender) => MapsBothWays(sender, s => s.ToProto(), p => p.ToDomain());

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void MessageTypeMapsBothWaysWithTheSameNumber(MessageType type) => MapsBothWays(type, t => t.ToProto(), p => p.ToDomain());

    [Fact]
    public void EveryValueOfTheContractHasADomainValue()
    {
        Assert.All(Enum.GetValues<Proto.ConversationStatus>().Where(s => s != Proto.ConversationStatus.Unspecified), s => Assert.NotNull(s.ToDomain()));
        Assert.All(Enum.GetValues<Proto.SenderType>().Where(s => s != Proto.SenderType.Unspecified), s => Assert.NotNull(s.ToDomain()));
        Assert.All(Enum.GetValues<Proto.MessageType>(), t => Assert.NotNull(t.ToDomain()));
    }

    [Fact]
    public void UnspecifiedStatusAndSenderAreNullButUnspecifiedMessageTypeIsText()
    {
        Assert.Null(Proto.ConversationStatus.Unspecified.ToDomain());
        Assert.Null(Proto.SenderType.Unspecified.ToDomain());
        Assert.Equal(MessageType.Text, Proto.MessageType.Unspecified.ToDomain());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(6)]
    [InlineData(99)]
    public void NumberTheContractDoesNotDefineIsNull(int number)
    {
        Assert.Null(((Proto.ConversationStatus)number).ToDomain());
        Assert.Null(((Proto.SenderType)number).ToDomain());
        Assert.Null(((Proto.MessageType)number).ToDomain());
    }

    [Fact]
    public void DomainValueOutsideTheEnumIsABug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((ConversationStatus)99).ToProto());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((SenderType)99).ToProto());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((MessageType)99).ToProto());
    }

    [Fact]
    public void ConversationCarriesEveryField()
    {
        var conversation = Conversation(ConversationStatus.Human, lastSequence: 3) with
        {
            ClosedAt = Now,
            Handoff = new HandoffContext(HandoffReason.LowConfidence, HandoffPriority.High, "needs a refund decision", Created),
        };
        var expected = new Proto.Conversation
        {
            Id = conversation.Id.ToString(),
            AgentId = Agent.ToString(),
            ChannelId = conversation.ChannelId.ToString(),
            ContactId = Contact.ToString(),
            Status = Proto.ConversationStatus.Human,
            AssignedTo = FirstHuman.ToString(),
            Subject = "Order #1234",
            Tags = { "billing", "vip" },
            CreatedAt = Timestamp.FromDateTimeOffset(Created),
            ClosedAt = Timestamp.FromDateTimeOffset(Now),
            LastMessageAt = Timestamp.FromDateTimeOffset(Created),
            Etag = "7",
            LastSequence = 3,
            Handoff = new Proto.HandoffContext
            {
                Reason = Proto.HandoffReason.LowConfidence,
                Priority = Proto.HandoffPriority.High,
                Summary = "needs a refund decision",
                HandedOffAt = Timestamp.FromDateTimeOffset(Created),
            },
        };
        Assert.Equal(expected, conversation.ToProto());
    }

    [Fact]
    public void ConversationWithoutOwnerOrMessagesLeavesThoseFieldsEmpty()
    {
        var proto = Conversation(ConversationStatus.Open).ToProto();
        Assert.Equal("", proto.AssignedTo);
        Assert.Null(proto.ClosedAt);
        Assert.Null(proto.LastMessageAt);
    }

    [Fact]
    public void MessageCarriesEveryField()
    {
        var message = new Message(Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a10"), Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a00"), 4,
            SenderType.HumanAgent, FirstHuman, "caption", MessageType.Image, "https://cdn.example/a.png", "image/png",
            new Dictionary<string, string> { ["order"] = "1234" }, Now,
            new MessageDelivery(DeliveryStatus.Failed, Now.AddSeconds(1), null, null, Now.AddSeconds(2), "undeliverable", "wamid.1"),
            Revision: 3, EditedAt: Now.AddSeconds(3), RedactedAt: Now.AddSeconds(4), RedactedBy: SecondHuman) { Visibility = MessageVisibility.Internal };
        var expected = new Proto.Message
        {
            Id = "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a10",
            ConversationId = "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a00",
            Sequence = 4,
            SenderType = Proto.SenderType.HumanAgent,
            SenderId = FirstHuman.ToString(),
            Content = "caption",
            MessageType = Proto.MessageType.Image,
            MediaUrl = "https://cdn.example/a.png",
            MediaType = "image/png",
            Metadata = { ["order"] = "1234" },
            CreatedAt = Timestamp.FromDateTimeOffset(Now),
            Visibility = Proto.MessageVisibility.Internal,
            DeliveryStatus = Proto.DeliveryStatus.Failed,
            SentAt = Timestamp.FromDateTimeOffset(Now.AddSeconds(1)),
            FailedAt = Timestamp.FromDateTimeOffset(Now.AddSeconds(2)),
            DeliveryError = "undeliverable",
            ExternalId = "wamid.1",
            Revision = 3,
            EditedAt = Timestamp.FromDateTimeOffset(Now.AddSeconds(3)),
            Redacted = true,
            RedactedAt = Timestamp.FromDateTimeOffset(Now.AddSeconds(4)),
            RedactedBy = SecondHuman.ToString(),
        };
        Assert.Equal(expected, message.ToProto());
    }

    [Fact]
    public void MessageWithoutSenderHasAnEmptySenderId() =>
        Assert.Equal("", Lifecycle.Append(Conversation(), Text(SenderType.System), Now).Message.ToProto().SenderId);

    [Theory]
    [InlineData(ConversationEventType.Created, Proto.ConversationEventType.Created)]
    [InlineData(ConversationEventType.StatusChanged, Proto.ConversationEventType.StatusChanged)]
    [InlineData(ConversationEventType.Updated, Proto.ConversationEventType.Updated)]
    [InlineData(ConversationEventType.MessageAdded, Proto.ConversationEventType.MessageAdded)]
    public void EventCarriesItsTypeCursorAndConversation(ConversationEventType type, Proto.ConversationEventType expected)
    {
        var conversation = Conversation();
        var proto = new ConversationEvent(new(1, 2), type, Now, conversation, null, null, null).ToProto("cursor-1");
        Assert.Equal((expected, "cursor-1", Timestamp.FromDateTimeOffset(Now), conversation.ToProto()),
            (proto.Type, proto.Cursor, proto.OccurredAt, proto.Conversation));
        Assert.Equal((Proto.ConversationStatus.Unspecified, Proto.ConversationStatus.Unspecified), (proto.OldStatus, proto.NewStatus));
        Assert.Null(proto.Message);
    }

    [Fact]
    public void StatusChangeEventCarriesBothStatuses()
    {
        var proto = new ConversationEvent(new(1, 2), ConversationEventType.StatusChanged, Now, Conversation(ConversationStatus.Human),
            ConversationStatus.Open, ConversationStatus.Human, null).ToProto("c");
        Assert.Equal((Proto.ConversationStatus.Open, Proto.ConversationStatus.Human), (proto.OldStatus, proto.NewStatus));
    }

    [Fact]
    public void MessageEventCarriesTheMessage()
    {
        var (message, change) = Lifecycle.Append(Conversation(), Text(SenderType.Customer), Now);
        var proto = new ConversationEvent(new(1, 2), ConversationEventType.MessageAdded, Now, change.After, null, null, message).ToProto("c");
        Assert.Equal(message.ToProto(), proto.Message);
    }

    private static void MapsBothWays<TDomain, TProto>(TDomain value, Func<TDomain, TProto> toProto, Func<TProto, TDomain?> toDomain)
        where TDomain : struct, Enum
        where TProto : struct, Enum
    {
        var proto = toProto(value);
        Assert.Equal(Convert.ToInt32(value), Convert.ToInt32(proto));
        Assert.Equal(value, toDomain(proto));
    }
}
