using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Timely.Conversations.V1;
using Timely.Server.Api;
using Timely.Server.Domain;

namespace Timely.Server.Tests.Rules;

/// <summary>Fast tests of the request rules that need no server: text a store refuses, how large an
/// error may grow, and what a request fingerprint sees.</summary>
public sealed class RequestRulesTests
{
    [Theory]
    [InlineData("a high surrogate alone")]
    [InlineData("a low surrogate alone")]
    [InlineData("a pair in the wrong order")]
    [InlineData("NUL")]
    public void TextAStoreRefusesIsRefusedNamingTheField(string problem)
    {
        // Built here: theory data travels as UTF-8, which has no lone surrogates.
        var text = problem switch
        {
            "a high surrogate alone" => "a\uD800b",
            "a low surrogate alone" => "\uDC00",
            "a pair in the wrong order" => "ok\uDE00\uD83D",
            _ => "a\0b",
        };
        // Protobuf strings are UTF-8 on the wire, so lone surrogates cannot arrive from a correct
        // gRPC client; the rule still holds for any way text reaches the checker.
        var check = new RequestChecker();
        check.Subject("subject", text);
        check.Tags("tags", new Google.Protobuf.Collections.RepeatedField<string> { "fine", text });
        check.Text("tag", text, 64);
        var error = Assert.Throws<InvalidArgumentException>(check.ThrowIfInvalid);
        Assert.Equal(["subject", "tags[1]", "tag"], error.Violations.Select(v => v.Field));
    }

    [Fact]
    public void WellFormedTextOutsideTheBasicPlaneIsAccepted()
    {
        var check = new RequestChecker();
        check.Subject("subject", "Broken vase \U0001F3FA, refund?");
        check.ThrowIfInvalid();
    }

    [Fact]
    public void AnErrorStaysShortHoweverManyAndLongItsViolations()
    {
        var violations = Enumerable.Range(0, 10_000)
            .Select(i => new FieldViolation(new string('f', 100_000) + i, new string('\u00e9', 100_000)))
            .ToList();
        var error = new InvalidArgumentException(violations);
        Assert.InRange(error.Violations.Count, 2, 21);   // at most the first 20, and how many more
        Assert.Matches(@"^and [\d,]+ more violations", error.Violations[^1].Description);
        var bytes = error.Violations.Sum(v => Encoding.UTF8.GetByteCount(v.Field) + Encoding.UTF8.GetByteCount(v.Description));
        Assert.True(bytes < 8 * 1024, $"{bytes} bytes of violations");
        Assert.True(Encoding.UTF8.GetByteCount(error.Message) < 8 * 1024, $"{error.Message.Length} characters of message");
    }

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
