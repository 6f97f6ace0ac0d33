using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;
using Timely.Conversations.V1;
using Timely.Server.Storage.Sqlite;

namespace Timely.Bench;

/// <summary>SearchMessages latency over N generated messages (issue 23), on SQLite or, given a PostgreSQL
/// cluster, on PostgreSQL: the Release server as its own process; 1,000 conversations made through the
/// API, then the messages written straight into its database in batches, through the server's own
/// INSERT, indexed as the server indexes its writes (on SQLite the group commit's statement before each
/// batch's commit, on PostgreSQL the generated tsvector), then each query timed sequentially, first page
/// of 20 hits, with SearchMessages, then with SearchConversations.</summary>
public static class SearchLatency
{
    private const int Conversations = 1000;
    private const int Samples = 500;

    public static async Task RunAsync(string serverDll, string? baselineDll, int messages, PostgresCluster? postgres)
    {
        const string database = "timely_bench_search";
        Dictionary<string, string> settings = [];
        if (postgres is not null)
        {
            await postgres.RecreateDatabaseAsync(database);
            settings["Storage__Provider"] = "postgres";
            settings["ConnectionStrings__Timely"] = postgres.ConnectionString(database);
        }
        await using var server = await ServerUnderTest.StartAsync(serverDll, settings);
        Func<DbConnection> connect = postgres is null
            ? () => new SqliteConnection($"Data Source={server.DatabasePath};Default Timeout=60")
            : () => new NpgsqlConnection(postgres.ConnectionString(database));
        var client = server.NewClient();
        var agents = new[] { Guid.NewGuid().ToString(), Guid.NewGuid().ToString() };
        var contacts = new List<string>();
        for (var i = 0; i < Conversations; i++)
        {
            contacts.Add(Guid.NewGuid().ToString());
            await client.CreateConversationAsync(new CreateConversationRequest
            {
                AgentId = agents[i % 2], ChannelId = Guid.NewGuid().ToString(), ContactId = contacts[^1],
            });
        }

        var generate = Stopwatch.StartNew();
        await GenerateAsync(connect, messages);
        Console.WriteLine($"search ({(postgres is null ? "SQLite" : "PostgreSQL")}): {messages:N0} messages generated and indexed in {generate.Elapsed.TotalSeconds:F0} s" +
                          (postgres is null ? $" (database {new FileInfo(server.DatabasePath).Length / (1 << 20):N0} MiB before its WAL is checkpointed)" : ""));

        // The baseline server opens the same database (SQLite's WAL lets two processes read one file).
        await using var baseline = baselineDll is null ? null
            : await ServerUnderTest.StartAsync(baselineDll, new Dictionary<string, string>(settings) { ["Storage__Sqlite__Path"] = server.DatabasePath });
        var servers = baseline is null ? [("this tree", client)] : new[] { ("baseline", baseline.NewClient()), ("this tree", client) };

        var queries = new (string Name, SearchMessagesRequest Request)[]
        {
            ("rare word (1 hit)", new() { Query = "ordernumber424242" }),
            ("word in ~1%", new() { Query = "refund" }),
            ("word in ~10%", new() { Query = "hello" }),
            ("two words", new() { Query = "refund parcel" }),
            ("phrase", new() { Query = "\"refund please\"" }),
            ("prefix", new() { Query = "refu*" }),
            ("word -exclusion", new() { Query = "refund -parcel" }),
            ("word + agent filter", new() { Query = "refund", AgentId = agents[0] }),
            ("word in ~10% + contact", new() { Query = "hello", ContactId = contacts[0] }),
        };
        Console.WriteLine($"search: SearchMessages, first page of 20, {Samples} calls each, ms");
        Console.WriteLine($"{"server",-10} {"query",-22} {"hits",10} {"p50",8} {"p90",8} {"p99",8} {"max",8}");
        foreach (var (name, request) in queries)
        {
            request.PageSize = 20;
            var hits = await CountAsync(connect, postgres is not null, request.Query);
            foreach (var (serverName, caller) in servers)
            {
                await TimeAsync(serverName, name, hits, async () => (await caller.SearchMessagesAsync(request)).Hits.Count);
            }
        }

        // SearchConversations: conversations whose subject, tags or messages match, in activity order.
        var conversationQueries = new (string Name, SearchConversationsRequest Request)[]
        {
            ("rare word (1 hit)", new() { Query = "ordernumber424242" }),
            ("word in ~1%", new() { Query = "refund" }),
            ("word in ~10%", new() { Query = "hello" }),
            ("word + agent filter", new() { Query = "refund", AgentId = agents[0] }),
            ("word in ~10% + contact", new() { Query = "hello", ContactId = contacts[0] }),
        };
        Console.WriteLine($"search: SearchConversations, first page of 20, {Samples} calls each, ms (hits: matching messages)");
        foreach (var (name, request) in conversationQueries)
        {
            request.PageSize = 20;
            var hits = await CountAsync(connect, postgres is not null, request.Query);
            foreach (var (serverName, caller) in servers)
            {
                await TimeAsync(serverName, name, hits, async () => (await caller.SearchConversationsAsync(request)).Conversations.Count);
            }
        }
    }

    /// <summary>One warm-up call, which must find something, then <see cref="Samples"/> calls in a row; prints p50,
    /// p90, p99 and the slowest.</summary>
    private static async Task TimeAsync(string server, string query, long hits, Func<Task<int>> call)
    {
        if (await call() == 0)
        {
            throw new InvalidOperationException($"{server} found nothing for '{query}': the generated messages are not indexed");
        }
        var times = new List<double>();
        for (var i = 0; i < Samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"{server,-10} {query,-22} {hits,10:N0} {times[Samples / 2],8:F2} {times[Samples * 90 / 100],8:F2} {times[Samples * 99 / 100],8:F2} {times[^1],8:F2}");
    }

    /// <summary>Messages of 5 to 30 words from a vocabulary of 20,000 with a Zipf-like spread, plus
    /// "hello" in about 10%, "refund" in about 1%, "parcel" and "please" in about 1% each, and one
    /// "ordernumber424242".</summary>
    private static async Task GenerateAsync(Func<DbConnection> connect, int count)
    {
        await using var connection = connect();
        await connection.OpenAsync();
        var conversations = new List<(string Id, string Workspace)>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT id, workspace FROM conversations";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                conversations.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        var random = new Random(23);
        var vocabulary = Enumerable.Range(0, 20_000).Select(i => Word(i)).ToArray();
        var sequences = new long[conversations.Count];
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        const int batch = 20_000;
        for (var done = 0; done < count; done += batch)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO messages (id, conversation_id, workspace, sequence, sender_type, sender_id, content, message_type, " +
                                 "media_url, media_type, metadata, created_at) VALUES (@id, @c, @w, @s, 1, NULL, @content, 1, '', '', '{}', @t)";
            DbParameter Parameter(string name)
            {
                var parameter = insert.CreateParameter();
                parameter.ParameterName = name;
                insert.Parameters.Add(parameter);
                return parameter;
            }
            var id = Parameter("id");
            var conversation = Parameter("c");
            var workspace = Parameter("w");
            var sequence = Parameter("s");
            var content = Parameter("content");
            var time = Parameter("t");
            for (var i = done; i < Math.Min(count, done + batch); i++)
            {
                var k = i % conversations.Count;
                var words = Enumerable.Range(0, random.Next(5, 31)).Select(_ => vocabulary[(int)Math.Min(vocabulary.Length - 1, Math.Pow(vocabulary.Length, random.NextDouble()) - 1)]).ToList();
                if (random.Next(10) == 0) words.Insert(random.Next(words.Count), "hello");
                if (random.Next(100) == 0) words.Insert(random.Next(words.Count), random.Next(4) == 0 ? "refund please" : "refund");
                if (random.Next(100) == 0) words.Insert(random.Next(words.Count), "parcel");
                if (i == count / 2) words.Add("ordernumber424242");
                id.Value = Guid.CreateVersion7().ToString();
                conversation.Value = conversations[k].Id;
                workspace.Value = conversations[k].Workspace;
                sequence.Value = ++sequences[k];
                content.Value = string.Join(' ', words);
                time.Value = now + i;
                await insert.ExecuteNonQueryAsync();
            }
            if (connection is SqliteConnection)
            {
                await using var index = connection.CreateCommand();
                index.Transaction = transaction;
                index.CommandText = SqliteSearchSql.IndexNewMessages;
                await index.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE conversations SET last_sequence = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id)";
        await update.ExecuteNonQueryAsync();
        if (connection is NpgsqlConnection)
        {
            // The planner's statistics, as autovacuum gathers them soon after a bulk load.
            update.CommandText = "ANALYZE messages";
            await update.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Every hit of one of the benchmark's queries (plain words, one phrase, one prefix, one exclusion), counted
    /// with the store's own index: each word (and the phrase) as an FTS5 string, or as a tsquery.</summary>
    private static async Task<long> CountAsync(Func<DbConnection> connect, bool postgres, string query)
    {
        await using var connection = connect();
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        var terms = query.Split(' ');
        string text;
        if (postgres)
        {
            text = string.Join(" & ", terms.Select(t => t.StartsWith('-') ? $"!{t[1..]}" : t.EndsWith('*') ? $"{t[..^1]}:*" : t.Trim('"')));
            text = text.Replace("refund & please", "refund <-> please", StringComparison.Ordinal);   // the phrase "refund please"
            count.CommandText = "SELECT COUNT(*) FROM messages WHERE search @@ to_tsquery('simple', @q)";
        }
        else
        {
            text = string.Join(' ', terms.Select(t => t.StartsWith('-') ? $"NOT \"{t[1..]}\"" : t.EndsWith('*') ? $"\"{t[..^1]}\"*" : t.StartsWith('"') ? t : $"\"{t}\""));
            count.CommandText = "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH @q";
        }
        var parameter = count.CreateParameter();
        parameter.ParameterName = "q";
        parameter.Value = text;
        count.Parameters.Add(parameter);
        return Convert.ToInt64(await count.ExecuteScalarAsync());
    }

    /// <summary>A made-up word for a number: letters only, so every store reads it as one token.</summary>
    private static string Word(int n)
    {
        var letters = new char[3 + n % 6];
        for (var i = 0; i < letters.Length; i++)
        {
            letters[i] = (char)('a' + (n * 7919 + i * 104729) % 26);
            n = n / 3 + i;
        }
        return new string(letters);
    }
}
