using Npgsql;

namespace Timely.Server.Tests.Infrastructure;

/// <summary>A fresh database on the PostgreSQL server named by TIMELY_TEST_POSTGRES (a connection
/// string; scripts/test.sh starts one with scripts/postgres.sh), dropped when disposed.</summary>
public sealed class TestDatabase : IDisposable
{
    public static string? PostgresServer => Environment.GetEnvironmentVariable("TIMELY_TEST_POSTGRES") is { Length: > 0 } s ? s : null;

    private TestDatabase(string name)
    {
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static TestDatabase Create()
    {
        var name = "timely_test_" + Guid.NewGuid().ToString("N");
        Execute($"CREATE DATABASE {name}");
        return new TestDatabase(name);
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Execute($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    private static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(PostgresServer);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
