using System.Runtime.CompilerServices;
using System.Text;
using Dapper;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.DataLifecycle;

/// <summary>Reads conversations with their messages for ExportConversations, oldest first by (created_at,
/// id), which never changes: a conversation created during an export comes after every one already read,
/// so a resumed export neither misses nor repeats one. Pages of conversations come with their first
/// messages in one query; longer conversations continue by sequence.</summary>
public sealed class TranscriptExport(Database db, IConversationStore store)
{
    private const int ConversationPage = 100;
    private const int InlineMessages = 100;
    private const int MessagePage = 500;

    /// <summary>Where an export stands: after the conversation at (<paramref name="CreatedAt"/>, <paramref name="Id"/>),
    /// whose messages through <paramref name="Sequence"/> were delivered, all of them when <paramref name="Complete"/>.</summary>
    public sealed record Position(long CreatedAt, Guid Id, long Sequence, bool Complete);

    /// <summary>A conversation and a run of its next messages; <paramref name="Complete"/> on its last run.</summary>
    public sealed record Chunk(Conversation Conversation, IReadOnlyList<Message> Messages, bool Complete);

    public async IAsyncEnumerable<Chunk> ReadAsync(string workspace, ConversationQuery query, Position? after, [EnumeratorCancellation] CancellationToken ct)
    {
        if (after is { Complete: false } resumed && await store.GetConversationAsync(workspace, resumed.Id, ct) is { } partial)
        {
            await foreach (var chunk in RestAsync(workspace, partial, resumed.Sequence, [], ct))
            {
                yield return chunk;
            }
        }
        var key = after is null ? ((long, Guid)?)null : (after.CreatedAt, after.Id);
        while (true)
        {
            var page = await PageAsync(workspace, query, key, ct);
            if (page.Count == 0)
            {
                yield break;
            }
            var first = await FirstMessagesAsync(workspace, page, ct);
            foreach (var conversation in page)
            {
                await foreach (var chunk in RestAsync(workspace, conversation, 0, first.GetValueOrDefault(conversation.Id, []), ct))
                {
                    yield return chunk;
                }
            }
            if (page.Count < ConversationPage)
            {
                yield break;
            }
            key = (Micros.From(page[^1].CreatedAt), page[^1].Id);
        }
    }

    /// <summary>The conversation's messages after <paramref name="afterSequence"/> up to its last sequence as
    /// read: <paramref name="known"/> first (those already read), then by pages.</summary>
    private async IAsyncEnumerable<Chunk> RestAsync(
        string workspace, Conversation conversation, long afterSequence, IReadOnlyList<Message> known, [EnumeratorCancellation] CancellationToken ct)
    {
        var batch = known.Where(m => m.Sequence > afterSequence && m.Sequence <= conversation.LastSequence).ToList();
        var position = batch.Count > 0 ? batch[^1].Sequence : afterSequence;
        if (batch.Count == 0 && position < conversation.LastSequence)
        {
            batch = [.. await store.ListMessagesAsync(workspace, conversation.Id, position, MessagePage, ct)];
            position = batch.Count > 0 ? batch[^1].Sequence : conversation.LastSequence;
        }
        while (true)
        {
            var done = position >= conversation.LastSequence || batch.Count == 0;
            yield return new Chunk(conversation, batch.Where(m => m.Sequence <= conversation.LastSequence).ToList(), done);
            if (done)
            {
                yield break;
            }
            batch = [.. await store.ListMessagesAsync(workspace, conversation.Id, position, MessagePage, ct)];
            position = batch.Count > 0 ? batch[^1].Sequence : conversation.LastSequence;
        }
    }

    private async Task<IReadOnlyList<Conversation>> PageAsync(string workspace, ConversationQuery query, (long CreatedAt, Guid Id)? after, CancellationToken ct)
    {
        var sql = new StringBuilder($"SELECT {StoreSql.ConversationColumns} FROM conversations c WHERE c.workspace = @Workspace");
        var p = new DynamicParameters(new { Workspace = workspace, Limit = ConversationPage });
        StoreSql.Filters(sql, p, query);
        if (after is { } a)
        {
            sql.Append(" AND (c.created_at > @AfterCreated OR (c.created_at = @AfterCreated AND c.id > @AfterId))");
            p.Add("AfterCreated", a.CreatedAt);
            p.Add("AfterId", a.Id.ToString());
        }
        sql.Append(" ORDER BY c.created_at, c.id LIMIT @Limit");
        var rows = await db.ReadAsync(c => c.QueryAsync<ConversationRow>(new CommandDefinition(sql.ToString(), p, cancellationToken: ct)), ct);
        return rows.Select(r => r.ToDomain()).ToList();
    }

    /// <summary>The first messages of each conversation of a page, in one query.</summary>
    private async Task<Dictionary<Guid, List<Message>>> FirstMessagesAsync(string workspace, IReadOnlyList<Conversation> page, CancellationToken ct)
    {
        var p = new DynamicParameters(new { Workspace = workspace, Inline = InlineMessages });
        var ids = StoreSql.List(p, "Id", page.Select(c => c.Id.ToString()).ToList());
        var rows = await db.ReadAsync(c => c.QueryAsync<MessageRow>(new CommandDefinition(
            $"SELECT {StoreSql.MessageColumns} FROM messages WHERE workspace = @Workspace AND conversation_id IN {ids} AND sequence <= @Inline " +
            "ORDER BY conversation_id, sequence", p, cancellationToken: ct)), ct);
        return rows.Select(r => r.ToDomain()).GroupBy(m => m.ConversationId).ToDictionary(g => g.Key, g => g.ToList());
    }
}
