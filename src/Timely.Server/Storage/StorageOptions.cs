namespace Timely.Server.Storage;

/// <summary>Configuration section "Storage".</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public const string SqliteProvider = "sqlite";
    public const string PostgresProvider = "postgres";

    /// <summary>"sqlite" (the embedded default) or "postgres".</summary>
    public string Provider { get; set; } = SqliteProvider;

    /// <summary>From ConnectionStrings:Timely; required for "postgres".</summary>
    public string? PostgresConnectionString { get; set; }

    public SqliteOptions Sqlite { get; set; } = new();

    /// <summary>SearchMessages ranks the newest this many matching messages (of the workspace, after the
    /// filters) by relevance, and SearchConversations looks for matching messages among as many; older matches
    /// of a query this common are not returned. Bounds the cost of a common word, which grows with its number
    /// of matches (every match is scored, or its conversation collected, before the first page): about 5 µs a
    /// match on SQLite on 2 cores (bench/README.md), so 5,000 keeps a page near 25 ms.</summary>
    public int SearchRankedHits { get; set; } = 5_000;

    public sealed class SqliteOptions
    {
        /// <summary>The database file; relative paths are under the working directory.</summary>
        public string Path { get; set; } = "data/timely.db";

        /// <summary>Normal (the default: durable except for the last commits on power loss) or Full (every
        /// commit synced to disk; with group commit, one sync per group of writes).</summary>
        public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Normal;

        /// <summary>How much of the database file each connection reads through a memory map instead of read
        /// calls (SQLite's mmap_size; 0 turns it off). The map shares the OS page cache between connections, so
        /// reads of many pages (a search ranking 5,000 hits) cost no system call per page.</summary>
        public long MemoryMapBytes { get; set; } = 1L << 30;
    }
}

public enum SqliteSynchronous
{
    Normal,
    Full,
}
