namespace Timely.Server.Storage;

/// <summary>Configuration section "Storage".</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>"sqlite" (the embedded default).</summary>
    public string Provider { get; set; } = "sqlite";

    public SqliteOptions Sqlite { get; set; } = new();

    public sealed class SqliteOptions
    {
        /// <summary>The database file; relative paths are under the working directory.</summary>
        public string Path { get; set; } = "data/timely.db";
    }
}
