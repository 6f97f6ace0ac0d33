using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Timely.Server.Api;
using Timely.Server.Domain;
using Timely.Server.Storage;
using static Timely.Server.UnitTests.Examples;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/TokenCodec.cs: page tokens, sequence tokens and watch cursors round-trip, are bound to
/// the workspace and query they were issued for, and refuse anything the service did not issue.</summary>
public sealed class TokenCodecTests
{
    private readonly TokenCodec codec = new(TokenKey);
    private static readonly ConversationKey Position = new(1_735_787_045_000_000, Guid.Parse(Uuid));

    public static TheoryData<long, string> PageKeys => new()
    {
        { 0, "00000000-0000-0000-0000-000000000000" },
        { 1_735_787_045_000_000, Uuid },
        { -1, "ffffffff-ffff-ffff-ffff-ffffffffffff" },
        { long.MaxValue, "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a7a" },
    };

    [Theory]
    [MemberData(nameof(PageKeys))]
    public void PageTokenRoundTrips(long sortValue, string id)
    {
        var key = new ConversationKey(sortValue, Guid.Parse(id));
        Assert.Equal(key, codec.ReadPageToken("acme", "query", codec.PageToken("acme", "query", key)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(long.MaxValue)]
    public void SequenceTokenRoundTrips(long sequence) =>
        Assert.Equal(sequence, codec.ReadSequenceToken("acme", "ListMessages/c1", codec.SequenceToken("acme", "ListMessages/c1", sequence)));

    [Fact]
    public void EmptyTokenMeansTheFirstPage()
    {
        Assert.Null(codec.ReadPageToken("acme", "query", ""));
        Assert.Equal(0, codec.ReadSequenceToken("acme", "scope", ""));
        Assert.Null(codec.ReadCursor("acme", ""));
    }

    [Fact]
    public void TokensAreOpaqueUrlSafeText() =>
        Assert.Matches("^[A-Za-z0-9_-]+$", codec.PageToken("acme", "query", Position) + codec.SequenceToken("acme", "scope", 42));

    [Theory]
    [InlineData("globex", "query")]
    [InlineData("acme", "other query")]
    [InlineData("ACME", "query")]
    public void PageTokenIsBoundToItsWorkspaceAndQuery(string workspace, string query)
    {
        var token = codec.PageToken("acme", "query", Position);
        RefusedOn("page_token", () => codec.ReadPageToken(workspace, query, token));
    }

    [Theory]
    [InlineData("globex", "ListMessages/c1")]
    [InlineData("acme", "ListMessages/c2")]
    public void SequenceTokenIsBoundToItsWorkspaceAndConversation(string workspace, string scope)
    {
        var token = codec.SequenceToken("acme", "ListMessages/c1", 42);
        RefusedOn("page_token", () => codec.ReadSequenceToken(workspace, scope, token));
    }

    [Fact]
    public void PageTokenIsNotASequenceTokenNorTheReverse()
    {
        RefusedOn("page_token", () => codec.ReadSequenceToken("acme", "query", codec.PageToken("acme", "query", Position)));
        RefusedOn("page_token", () => codec.ReadPageToken("acme", "query", codec.SequenceToken("acme", "query", 42)));
    }

    [Fact]
    public void TokenSignedWithAnotherKeyIsRefused()
    {
        var other = new TokenCodec([.. TokenKey.Reverse()]);
        RefusedOn("page_token", () => codec.ReadPageToken("acme", "query", other.PageToken("acme", "query", Position)));
        RefusedOn("after_cursor", () => codec.ReadCursor("acme", other.Cursor("acme", new EventPosition(1, 2))));
    }

    [Theory]
    [InlineData(0)]    // the sort value
    [InlineData(15)]   // the id
    [InlineData(24)]   // the signature
    [InlineData(39)]
    public void TamperedPageTokenIsRefused(int index)
    {
        var bytes = Base64Url.DecodeFromChars(codec.PageToken("acme", "query", Position));
        bytes[index] ^= 1;
        RefusedOn("page_token", () => codec.ReadPageToken("acme", "query", Base64Url.EncodeToString(bytes)));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("not a token")]
    [InlineData("!!!!")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]   // 40 zero bytes: the right length, no signature
    public void GarbageTokenIsRefused(string token)
    {
        RefusedOn("page_token", () => codec.ReadPageToken("acme", "query", token));
        RefusedOn("page_token", () => codec.ReadSequenceToken("acme", "query", token));
    }

    public static TheoryData<long, long> Positions => new()
    {
        { 0, 0 },
        { 0, 1 },
        { 741, 1_000_000 },
        { long.MaxValue, long.MaxValue },
    };

    [Theory]
    [MemberData(nameof(Positions))]
    public void CursorRoundTrips(long tx, long id) =>
        Assert.Equal(new EventPosition(tx, id), codec.ReadCursor("acme", codec.Cursor("acme", new EventPosition(tx, id))));

    [Fact]
    public void CursorIsBoundToItsWorkspace() =>
        RefusedOn("after_cursor", () => codec.ReadCursor("globex", codec.Cursor("acme", new EventPosition(1, 2))));

    [Theory]
    [InlineData("x")]
    [InlineData("a.b.c")]
    [InlineData("0000000000000001000000000000000.AAAA")]
    [InlineData("000000000000000100000000000000zz.AAAAAAAAAAAAAAAAAAAAAA")]
    public void GarbageCursorIsRefused(string cursor) => RefusedOn("after_cursor", () => codec.ReadCursor("acme", cursor));

    [Fact]
    public void CursorWithAnEditedPositionIsRefused()
    {
        var cursor = codec.Cursor("acme", new EventPosition(1, 2));
        var edited = (cursor[3] == 'A' ? "B" : "A") is var c ? cursor[..3] + c + cursor[4..] : cursor;
        RefusedOn("after_cursor", () => codec.ReadCursor("acme", edited));
    }

    [Fact]
    public void CursorsRevealNothingOfThePosition()
    {
        // Positions count every workspace's events: a tenant must not read them from its cursors.
        var first = codec.Cursor("acme", new EventPosition(0, 1));
        var next = codec.Cursor("acme", new EventPosition(0, 2));
        Assert.DoesNotContain("0000000000000001", first);
        var firstBytes = Base64Url.DecodeFromChars(first);
        var nextBytes = Base64Url.DecodeFromChars(next);
        Assert.True(firstBytes.Zip(nextBytes).Count(p => p.First != p.Second) > 8, "adjacent positions give unrelated cursors");
        Assert.Equal(first, codec.Cursor("acme", new EventPosition(0, 1)));
    }

    [Fact]
    public void CursorFromBeforeTransactionOrderingIsOutOfRange()
    {
        // A cursor as issued before events were ordered by (transaction, id): the event id alone, signed.
        var text = 42L.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        var tag = HMACSHA256.HashData(TokenKey, Encoding.UTF8.GetBytes($"acme\0cursor\0{text}"))[..16];
        var error = Assert.Throws<PositionOutOfRangeException>(() => codec.ReadCursor("acme", text + "." + Base64Url.EncodeToString(tag)));
        Assert.Equal("after_cursor", error.Field);
    }

    private static void RefusedOn(string field, Action read) =>
        Assert.Equal(field, Assert.Single(Assert.Throws<InvalidArgumentException>(read).Violations).Field);
}
