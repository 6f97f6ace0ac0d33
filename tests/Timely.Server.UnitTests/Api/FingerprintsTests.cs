using Timely.Server.Api;
using static Timely.Server.UnitTests.Examples;
using Proto = Timely.Conversations.V1;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/Fingerprints.cs: the hash that binds request ids and page tokens to the request they came with.</summary>
public sealed class FingerprintsTests
{
    private static Proto.SendMessageRequest Request() => new()
    {
        ConversationId = Uuid,
        SenderType = Proto.SenderType.AiAgent,
        Content = "Hi!",
    };

    [Fact]
    public void EqualRequestsHaveTheSameFingerprint() =>
        Assert.Equal(Fingerprints.Of("SendMessage", Request()), Fingerprints.Of("SendMessage", Request()));

    [Fact]
    public void FingerprintIsALowercaseSha256InHex() =>
        Assert.Matches("^[0-9a-f]{64}$", Fingerprints.Of("SendMessage", Request()));

    [Theory]
    [InlineData("IngestCustomerMessage")]
    [InlineData("sendmessage")]
    [InlineData("ListMessages/0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a79")]
    [InlineData("SendMessage é😀")]   // scopes of several UTF-8 bytes a character
    public void AnotherScopeHasAnotherFingerprint(string scope) =>
        Assert.NotEqual(Fingerprints.Of("SendMessage", Request()), Fingerprints.Of(scope, Request()));

    [Theory]
    [InlineData("content")]
    [InlineData("sender_type")]
    [InlineData("conversation_id")]
    [InlineData("metadata")]
    public void AnotherFieldValueHasAnotherFingerprint(string field)
    {
        var edited = Request();
        switch (field)
        {
            case "content": edited.Content = "Hi?"; break;
            case "sender_type": edited.SenderType = Proto.SenderType.System; break;
            case "conversation_id": edited.ConversationId = "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a7a"; break;
            case "metadata": edited.Metadata["order"] = "1234"; break;
        }
        Assert.NotEqual(Fingerprints.Of("SendMessage", Request()), Fingerprints.Of("SendMessage", edited));
    }

    [Fact]
    public void FingerprintDoesNotDependOnTheOrderOfMapEntries()
    {
        var first = Request();
        first.Metadata.Add("a", "1");
        first.Metadata.Add("b", "2");
        var second = Request();
        second.Metadata.Add("b", "2");
        second.Metadata.Add("a", "1");
        Assert.Equal(first, second);   // protobuf's own equality ignores the order
        Assert.Equal(Fingerprints.Of("SendMessage", first), Fingerprints.Of("SendMessage", second));
    }
}
