using System.Globalization;
using System.Text;
using Dapper;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Timely.Conversations.V1;
using Timely.Server.Storage;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.DataLifecycle;

/// <summary>DataService clients, waiting for erasures, seeding large amounts of data with bulk SQL
/// inserts, and searching the database itself for text that must be gone.</summary>
public static class DataFixtures
{
    public static DataService.DataServiceClient Data(this TimelyServer server, string? key = null) =>
        new(server.Channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + (key ?? server.AdminKey));
            return m;
        }));

    /// <summary>Erases the contact and waits until the erasure succeeded.</summary>
    public static async Task<Erasure> EraseAsync(this TimelyServer server, string contactId, double seconds = 60)
    {
        var data = server.Data();
        var started = (await data.EraseContactAsync(new EraseContactRequest { ContactId = contactId })).Erasure;
        return await server.FinishedAsync(started.Id, seconds);
    }

    public static async Task<Erasure> FinishedAsync(this TimelyServer server, string erasureId, double seconds = 60)
    {
        var data = server.Data();
        Erasure? erasure = null;
        await Fixtures.Eventually(async () =>
        {
            erasure = (await data.GetErasureAsync(new GetErasureRequest { Id = erasureId })).Erasure;
            return erasure.State == ErasureState.Succeeded;
        }, $"erasure {erasureId} to finish", seconds);
        return erasure!;
    }

    /// <summary>Appends <paramref name="count"/> messages (with their MESSAGE_ADDED events) to a conversation
    /// created through the API, with bulk inserts: far faster than as many calls.</summary>
    public static async Task SeedMessagesAsync(this TimelyServer server, Conversation conversation, int count, Func<long, string> content)
    {
        var db = server.GetService<Database>();
        var snapshot = await db.ReadAsync(c => c.QuerySingleAsync<string>(
            "SELECT conversation FROM events WHERE conversation_id = @Id ORDER BY tx, id LIMIT 1", new { conversation.Id }), CancellationToken.None);
        var first = conversation.LastSequence + 1;
        var now = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000).ToString(CultureInfo.InvariantCulture);
        for (var start = 0; start < count; start += 1000)
        {
            var messages = new StringBuilder(
                "INSERT INTO messages (id, conversation_id, workspace, sequence, sender_type, sender_id, content, message_type, media_url, media_type, metadata, created_at) VALUES ");
            var events = new StringBuilder(
                "INSERT INTO events (workspace, conversation_id, agent_id, channel_id, type, occurred_at, status, old_status, message_id, conversation) VALUES ");
            for (var i = start; i < Math.Min(count, start + 1000); i++)
            {
                var sequence = first + i;
                var id = Guid.NewGuid();
                var separator = i == start ? "" : ", ";
                messages.Append(CultureInfo.InvariantCulture,
                    $"{separator}('{id}', '{conversation.Id}', 'default', {sequence}, 1, NULL, {Literal(content(sequence))}, 1, '', '', '{{}}', {now})");
                events.Append(CultureInfo.InvariantCulture,
                    $"{separator}('default', '{conversation.Id}', '{conversation.AgentId}', '{conversation.ChannelId}', 4, {now}, 1, NULL, '{id}', {Literal(snapshot)})");
            }
            await db.WriteAsync(async w =>
            {
                await w.Connection.ExecuteAsync(messages.ToString(), transaction: w.Transaction);
                return await w.Connection.ExecuteAsync(events.ToString(), transaction: w.Transaction);
            }, CancellationToken.None);
        }
        await db.WriteAsync(w => w.Connection.ExecuteAsync(
            "UPDATE conversations SET last_sequence = @Last, last_message_at = @Now, activity_at = @Now, last_sender_type = 1 WHERE id = @Id",
            new { Last = conversation.LastSequence + count, Now = long.Parse(now, CultureInfo.InvariantCulture), conversation.Id }, w.Transaction), CancellationToken.None);
    }

    /// <summary>Creates <paramref name="count"/> conversations of one agent, each with one message, with bulk inserts.</summary>
    public static async Task SeedConversationsAsync(this TimelyServer server, string agentId, int count)
    {
        var db = server.GetService<Database>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        for (var start = 0; start < count; start += 1000)
        {
            var conversations = new StringBuilder("INSERT INTO conversations (id, workspace, agent_id, channel_id, contact_id, status, assigned_to, subject, " +
                "tags, created_at, closed_at, last_message_at, activity_at, last_sender_type, last_sequence, version) VALUES ");
            var messages = new StringBuilder(
                "INSERT INTO messages (id, conversation_id, workspace, sequence, sender_type, sender_id, content, message_type, media_url, media_type, metadata, created_at) VALUES ");
            for (var i = start; i < Math.Min(count, start + 1000); i++)
            {
                var id = Guid.CreateVersion7();
                // Equal creation times for runs of ten: the export's order must break ties by id.
                var created = now + i / 10;
                var separator = i == start ? "" : ", ";
                conversations.Append(CultureInfo.InvariantCulture,
                    $"{separator}('{id}', 'default', '{agentId}', '{Guid.NewGuid()}', '{Guid.NewGuid()}', 1, NULL, 'seeded {i}', '[]', {created}, NULL, {created}, {created}, 1, 1, 2)");
                messages.Append(CultureInfo.InvariantCulture,
                    $"{separator}('{Guid.NewGuid()}', '{id}', 'default', 1, 1, NULL, 'message of {i}', 1, '', '', '{{}}', {created})");
            }
            await db.WriteAsync(async w =>
            {
                await w.Connection.ExecuteAsync(conversations.ToString(), transaction: w.Transaction);
                return await w.Connection.ExecuteAsync(messages.ToString(), transaction: w.Transaction);
            }, CancellationToken.None);
        }
    }

    /// <summary>How often <paramref name="text"/> occurs in the stored database: on SQLite, the bytes of the
    /// file after a checkpoint that empties the write-ahead log; on PostgreSQL, the text of every row of every table.</summary>
    public static async Task<int> OccurrencesInDatabaseAsync(this TimelyServer server, string text)
    {
        var db = server.GetService<Database>();
        if (server.Postgres is null)
        {
            await db.WriteAsync(w => Task.FromResult(0), CancellationToken.None);
            await using (var c = await db.Dialect.OpenAsync(CancellationToken.None))
            {
                await c.ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            var found = 0;
            foreach (var file in Directory.GetFiles(server.DataFolder, "timely.db*"))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var memory = new MemoryStream();
                await stream.CopyToAsync(memory);
                found += Count(memory.ToArray(), Encoding.UTF8.GetBytes(text));
            }
            return found;
        }
        return await db.ReadAsync(async c =>
        {
            var tables = await c.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
            var found = 0;
            foreach (var table in tables)
            {
                found += await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM {table} t WHERE t::text LIKE @Pattern", new { Pattern = "%" + text + "%" });
            }
            return found;
        }, CancellationToken.None);
    }

    public static async Task<RpcException> FailsWith(StatusCode code, Func<Task> call) => await Fixtures.FailsWith(code, call);

    private static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    private static int Count(byte[] haystack, byte[] needle)
    {
        var count = 0;
        var span = haystack.AsSpan();
        int at;
        while ((at = span.IndexOf(needle)) >= 0)
        {
            count++;
            span = span[(at + needle.Length)..];
        }
        return count;
    }
}
