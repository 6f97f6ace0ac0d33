using Google.Protobuf;
using Timely.Server.Api;
using Timely.Server.Domain;
using static Timely.Server.UnitTests.Examples;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/FanOutResponses.cs: a live item's response is built and serialized once for all its subscribers,
/// and reads back as the response built for one subscriber would.</summary>
public sealed class FanOutResponsesTests
{
    private static readonly TokenCodec Tokens = new(TokenKey);

    private static Message Message() => new(Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a10"), Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a00"), 4,
        SenderType.HumanAgent, FirstHuman, "caption", MessageType.Image, "https://cdn.example/a.png", "image/png",
        new Dictionary<string, string> { ["order"] = "1234" }, Now,
        new MessageDelivery(DeliveryStatus.Failed, Now.AddSeconds(1), null, null, Now.AddSeconds(2), "undeliverable", "wamid.1"));

    [Fact]
    public void SubscribersOfOneMessageShareOneSerialization()
    {
        var message = Message();
        var first = FanOutResponses.Of(message, protobufWire: true);
        var second = FanOutResponses.Of(message, protobufWire: true);

        Assert.Same(first, second);   // one response: its bytes were made once
        var own = new Proto.StreamMessagesResponse { Message = message.ToProto() };
        Assert.Equal(own.ToByteArray(), second.ToByteArray());
        Assert.Equal(own, Proto.StreamMessagesResponse.Parser.ParseFrom(second.ToByteArray()));
    }

    [Fact]
    public void JsonSubscribersShareTheResponseWithItsFields()
    {
        var message = Message();
        var json = FanOutResponses.Of(message, protobufWire: false);

        Assert.Same(json, FanOutResponses.Of(message, protobufWire: false));
        Assert.Equal(message.ToProto(), json.Message);
        // The serialized twin is bytes only: JSON, which shows no unknown fields, must never get it.
        Assert.Equal("{ }", JsonFormatter.Default.Format(FanOutResponses.Of(message, protobufWire: true)));
    }

    [Fact]
    public void AnEventIsSerializedOnceAndItsCursorIsSealedForItsWorkspace()
    {
        var e = new ConversationEvent(new EventPosition(7, 9), ConversationEventType.MessageAdded, Now, Conversation(), null, null, Message());
        var first = FanOutResponses.Of(e, "acme", Tokens, protobufWire: true);

        Assert.Same(first, FanOutResponses.Of(e, "acme", Tokens, protobufWire: true));
        var own = new Proto.WatchConversationsResponse { Event = e.ToProto(Tokens.Cursor("acme", e.Position)) };
        Assert.Equal(own.ToByteArray(), first.ToByteArray());
        var elsewhere = Proto.WatchConversationsResponse.Parser.ParseFrom(FanOutResponses.Of(e, "globex", Tokens, protobufWire: true).ToByteArray());
        Assert.Equal(Tokens.Cursor("globex", e.Position), elsewhere.Event.Cursor);
    }
}
