using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Timely.Conversations.V1;
using Timely.Server.Storage.Postgres;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Operations;

/// <summary>Times come from one clock: what a write returns equals what a read returns, and on
/// PostgreSQL every replica's clock is the database's.</summary>
public sealed class ClockTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    [Fact]
    public async Task ClosedAtInTheCloseResponseEqualsWhatGetReturns()
    {
        var client = server.Client;
        for (var attempt = 0; attempt < 5; attempt++)   // the system clock: sub-microsecond digits differ most of the time
        {
            var closed = (await client.CloseConversationAsync(new CloseConversationRequest { Id = (await client.CreateAsync()).Id })).Conversation;
            var read = (await client.GetConversationAsync(new GetConversationRequest { Id = closed.Id })).Conversation;
            Assert.Equal(read.ClosedAt, closed.ClosedAt);
            Assert.Equal(read, closed);
        }
    }

    [SkippableFact]
    public async Task AReplicaWhoseClockIsAnHourAheadTakesTheDatabasesTime()
    {
        Skip.If(server.Postgres is null, "needs PostgreSQL (TIMELY_TEST_POSTGRES)");
        var ahead = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1));
        await using var dataSource = NpgsqlDataSource.Create(server.Postgres.ConnectionString);
        using var clock = new DatabaseClock(ahead, dataSource, NullLogger<DatabaseClock>.Instance);
        Assert.True(clock.GetUtcNow() - DateTimeOffset.UtcNow > TimeSpan.FromMinutes(59));

        await clock.SynchronizeAsync(CancellationToken.None);

        Assert.True((clock.GetUtcNow() - DateTimeOffset.UtcNow).Duration() < TimeSpan.FromSeconds(5), $"{clock.GetUtcNow():O}");
    }
}
