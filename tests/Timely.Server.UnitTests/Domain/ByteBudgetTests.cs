using Timely.Server.Domain;

namespace Timely.Server.UnitTests.Domain;

/// <summary>Domain/ByteBudget.cs: the rule of pages and live batches bounded in bytes.</summary>
public sealed class ByteBudgetTests
{
    [Theory]
    [InlineData(new long[] { 40, 40, 40 }, 100, 2)]    // stops before the item that would pass the budget
    [InlineData(new long[] { 50, 50, 1 }, 100, 2)]     // exactly the budget fits; then nothing more, however small
    [InlineData(new long[] { 300, 10 }, 100, 1)]       // an item larger than the budget still goes, alone
    [InlineData(new long[] { 10, 10, 10 }, 100, 3)]
    public void ItemsAreTakenWhileTheirTotalFitsAndTheFirstAlways(long[] sizes, long budget, int taken)
    {
        var bytes = new ByteBudget(budget);
        Assert.Equal(taken, sizes.TakeWhile(bytes.TryTake).Count());
    }
}
