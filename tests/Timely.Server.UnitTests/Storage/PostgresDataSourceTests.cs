using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Timely.Server.Storage;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The settings the server adds to the PostgreSQL connection string, unless the string sets them itself.</summary>
public sealed class PostgresDataSourceTests
{
    [Fact]
    public void StatementsArePreparedAutomaticallyConnectionsAreNotResetAndConnectingGivesUpAfterFiveSeconds()
    {
        var settings = Settings("Host=127.0.0.1;Database=timely;Command Timeout=60");
        Assert.Equal(64, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal(5, settings.Timeout);   // Command Timeout is another setting
        Assert.Equal(60, settings.CommandTimeout);
        Assert.Equal("timely-server", settings.ApplicationName);
    }

    [Theory]
    [InlineData("Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("MaxAutoPrepare=0; NoResetOnClose = false")]
    public void AConnectionStringThatSetsTheseKeepsItsOwn(string settingsOfItsOwn)
    {
        var settings = Settings($"Host=127.0.0.1;Database=timely;{settingsOfItsOwn};Timeout=9;Application Name=mine");
        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
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
