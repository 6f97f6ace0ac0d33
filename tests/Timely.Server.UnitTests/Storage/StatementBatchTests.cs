using Timely.Server.Storage;

namespace Timely.Server.UnitTests.Storage;

/// <summary>How PostgreSQL receives a write's statements (PostgresDialect.ExecuteAsync): each with numbered
/// parameters, a name used twice being one parameter.</summary>
public sealed class StatementBatchTests
{
    [Fact]
    public void ParametersAreNumberedInOrderOfFirstUse()
    {
        var (sql, names) = StatementBatch.Numbered(
            "UPDATE t SET a = @A, b = @B_2 WHERE workspace = @Workspace AND (a = @A OR @Workspace = '') AND c = @c");

        Assert.Equal("UPDATE t SET a = $1, b = $2 WHERE workspace = $3 AND (a = $1 OR $3 = '') AND c = $4", sql);
        Assert.Equal(["A", "B_2", "Workspace", "c"], names);
    }

    [Fact]
    public void AStatementWithoutParametersIsUnchanged()
    {
        var (sql, names) = StatementBatch.Numbered("DELETE FROM t WHERE x = 1");

        Assert.Equal("DELETE FROM t WHERE x = 1", sql);
        Assert.Empty(names);
    }
}
