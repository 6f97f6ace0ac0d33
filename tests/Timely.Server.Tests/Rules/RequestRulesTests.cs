using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Timely.Conversations.V1;
using Timely.Server.Api;

namespace Timely.Server.Tests.Rules;

/// <summary>Fast tests of the request rules that need no server: what a request fingerprint sees.</summary>
public sealed class RequestRulesTests
{
    [Fact]
    public void TheFingerprintOfARequestIgnoresTheOrderOfItsMapEntries()
    {
        var ab = new SendMessageRequest { Content = "hi", Metadata = { ["a"] = "1", ["b"] = "2" } };
        var ba = new SendMessageRequest { Content = "hi", Metadata = { ["b"] = "2", ["a"] = "1" } };
        Assert.NotEqual(ab.ToByteArray(), ba.ToByteArray());
        Assert.Equal(Fingerprints.Of("send", ab), Fingerprints.Of("send", ba));
        Assert.NotEqual(Fingerprints.Of("send", ab), Fingerprints.Of("send", new SendMessageRequest { Content = "hi", Metadata = { ["a"] = "1", ["b"] = "3" } }));
        Assert.Equal("2", ab.Metadata["b"]);   // the request itself is left as it came
        Assert.Equal(["a", "b"], ab.Metadata.Keys);
    }

    [Fact]
    public void TheFingerprintOfARequestWithoutMapsIsItsBytesAsBefore()
    {
        // Page tokens issued before the canonical form still match their queries.
        var request = new ListConversationsRequest { AgentId = Guid.NewGuid().ToString(), Statuses = { Timely.Conversations.V1.ConversationStatus.Open }, Tag = "vip" };
        var expected = SHA256.HashData([.. Encoding.UTF8.GetBytes("ListConversations"), 0, .. request.ToByteArray()]);
        Assert.Equal(Convert.ToHexStringLower(expected), Fingerprints.Of("ListConversations", request));
    }
}
