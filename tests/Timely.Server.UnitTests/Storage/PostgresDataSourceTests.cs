using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Timely.Server.Storage;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The settings the server adds to the PostgreSQL connection string, unless the string sets them itself.</summary>
public sealed class PostgresDataSourceTests
{
    [Fact]
    public void StatementsArePreparedAutomaticallyAndConnectingGivesUpAfterFiveSeconds()
    {
        var settings = Settings("Host=127.0.0.1;Database=timely");
        Assert.Equal(64, settings.MaxAutoPrepare);
        Assert.Equal(5, settings.Timeout);
        Assert.Equal("timely-server", settings.ApplicationName);
    }

    [Theory]
    [InlineData("Max Auto Prepare=0")]
    [InlineData("MaxAutoPrepare=0")]
    public void AConnectionStringThatSetsAutomaticPreparationKeepsItsOwn(string setting)
    {
        var settings = Settings($"Host=127.0.0.1;Database=timely;{setting};Timeout=9;Application Name=mine");
        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.Equal(9, settings.Timeout);
        Assert.Equal("mine", settings.ApplicationName);
    }

    private static NpgsqlConnectionStringBuilder Settings(string connectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "postgres",
            ["ConnectionStrings:Timely"] = connectionString,
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddConversationStore(configuration).BuildServiceProvider();
        return new NpgsqlConnectionStringBuilder(services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
    }
}
