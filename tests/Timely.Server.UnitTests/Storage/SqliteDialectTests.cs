using Microsoft.Extensions.Options;
using Timely.Server.Storage;
using Timely.Server.Storage.Sqlite;

namespace Timely.Server.UnitTests.Storage;

/// <summary>The settings every SQLite connection gets, on a real database file.</summary>
public sealed class SqliteDialectTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("timely-dialect-").FullName;

    [Theory]
    [InlineData(64L << 20)]
    [InlineData(0L)]
    public async Task EveryReadConnectionMapsTheConfiguredSize(long bytes)
    {
        var options = new StorageOptions { Sqlite = { Path = Path.Combine(folder, $"map-{bytes}.db"), MemoryMapBytes = bytes } };
        await using var dialect = new SqliteDialect(Options.Create(options),
            Examples.Metrics());
        // The second and third opens reuse a pooled connection, configured once when it was new.
        for (var open = 0; open < 3; open++)
        {
            await using var connection = await dialect.OpenAsync(CancellationToken.None);
            await using var read = connection.CreateCommand();
            read.CommandText = "PRAGMA mmap_size";
            Assert.Equal(bytes, (long)(await read.ExecuteScalarAsync())!);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
