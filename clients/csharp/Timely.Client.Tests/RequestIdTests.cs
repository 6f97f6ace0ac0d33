namespace Timely.Client.Tests;

/// <summary>The SDK's request ids are UUIDv7 (RFC 9562): the version and variant bits set, the time of their making in
/// their first 48 bits, so ids made later sort after earlier ones, and random in the rest.</summary>
public sealed class RequestIdTests
{
    [Fact]
    public void ARequestIdIsAVersion7UuidCarryingTheTimeItWasMade()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = RequestIds.New();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
        var millis = Convert.ToInt64(id.Replace("-", "")[..12], 16);
        Assert.InRange(millis, before, after);
    }

    [Fact]
    public void IdsMadeLaterSortAfterAndNoTwoAreEqual()
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);
        var ids = Enumerable.Range(0, 1000).Select(i => RequestIds.New(start.AddMilliseconds(i))).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(1000, Enumerable.Range(0, 1000).Select(_ => RequestIds.New(start)).Distinct().Count());
    }
}
