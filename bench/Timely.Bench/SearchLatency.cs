using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Timely.Conversations.V1;

namespace Timely.Bench;

/// <summary>SearchMessages latency over N generated messages on SQLite (issue 23): the Release server
/// as its own process; 1,000 conversations made through the API, then the messages written straight
/// into its database file in batches (the FTS5 triggers index them as the server's own inserts do),
/// then each query timed sequentially, first page of 20 hits.</summary>
public static class SearchLatency
{
    private const int Conversations = 1000;
    private const int Samples = 100;

    public static async Task RunAsync(string serverDll, string? baselineDll, int messages)
    {
        await using var server = await ServerUnderTest.StartAsync(serverDll);
        var client = server.NewClient();
        var agents = new[] { Guid.NewGuid().ToString(), Guid.NewGuid().ToString() };
        for (var i = 0; i < Conversations; i++)
        {
            await client.CreateConversationAsync(new CreateConversationRequest
            {
                AgentId = agents[i % 2], ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
            });
        }

        var generate = Stopwatch.StartNew();
        await GenerateAsync(server.DatabasePath, messages);
        Console.WriteLine($"search: {messages:N0} messages generated and indexed in {generate.Elapsed.TotalSeconds:F0} s " +
                          $"(database {new FileInfo(server.DatabasePath).Length / (1 << 20):N0} MiB before its WAL is checkpointed)");

        // The baseline server opens the same database file (SQLite's WAL lets two processes read it).
        await using var baseline = baselineDll is null ? null
            : await ServerUnderTest.StartAsync(baselineDll, new Dictionary<string, string> { ["Storage__Sqlite__Path"] = server.DatabasePath });
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
        };
        Console.WriteLine($"search: SearchMessages, first page of 20, {Samples} calls each, ms");
        Console.WriteLine($"{"server",-10} {"query",-22} {"hits",10} {"p50",8} {"p99",8}");
        foreach (var (name, request) in queries)
        {
            request.PageSize = 20;
            var hits = await CountAsync(server.DatabasePath, request.Query);
            foreach (var (serverName, caller) in servers)
            {
                await caller.SearchMessagesAsync(request);   // warm-up
                var times = new List<double>();
                for (var i = 0; i < Samples; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await caller.SearchMessagesAsync(request);
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                times.Sort();
                Console.WriteLine($"{serverName,-10} {name,-22} {hits,10:N0} {times[Samples / 2],8:F2} {times[Samples * 99 / 100],8:F2}");
            }
        }
    }

    /// <summary>Messages of 5 to 30 words from a vocabulary of 20,000 with a Zipf-like spread, plus
    /// "hello" in about 10%, "refund" in about 1%, "parcel" and "please" in about 1% each, and one
    /// "ordernumber424242".</summary>
    private static async Task GenerateAsync(string path, int count)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Default Timeout=60");
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
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO messages (id, conversation_id, workspace, sequence, sender_type, sender_id, content, message_type, " +
                                 "media_url, media_type, metadata, created_at) VALUES ($id, $c, $w, $s, 1, NULL, $content, 1, '', '', '{}', $t)";
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var conversation = insert.Parameters.Add("$c", SqliteType.Text);
            var workspace = insert.Parameters.Add("$w", SqliteType.Text);
            var sequence = insert.Parameters.Add("$s", SqliteType.Integer);
            var content = insert.Parameters.Add("$content", SqliteType.Text);
            var time = insert.Parameters.Add("$t", SqliteType.Integer);
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
            await transaction.CommitAsync();
        }
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE conversations SET last_sequence = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id)";
        await update.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(string path, string query)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        // The benchmark's own queries are plain: each word (and the phrase) as an FTS5 string.
        var terms = query.Split(' ').Select(t => t.StartsWith('-') ? $"NOT \"{t[1..]}\"" : t.EndsWith('*') ? $"\"{t[..^1]}\"*" : t.StartsWith('"') ? t : $"\"{t}\"");
        count.CommandText = "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH $q";
        count.Parameters.AddWithValue("$q", string.Join(' ', terms));
        return (long)(await count.ExecuteScalarAsync())!;
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
