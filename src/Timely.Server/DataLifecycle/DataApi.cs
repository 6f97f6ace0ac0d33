using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Timely.Conversations.V1;
using Timely.Server.Api;
using Timely.Server.Auth;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.DataLifecycle;

/// <summary>The DataService endpoints, for admin keys: read and check the request, call the store, the
/// runner or the export, map the result.</summary>
[Authorize(Policy = AuthPolicies.Admin)]
public sealed class DataApi(
    ErasureStore store, ErasureRunner runner, TranscriptExport export, TokenCodec tokens, TimeProvider clock, IHostApplicationLifetime lifetime)
    : DataService.DataServiceBase
{
    /// <summary>An export item's cap: messages beyond it continue in the next item.</summary>
    public const int MaxItemMessages = 500;

    /// <summary>An export item's cap in bytes (of its messages), far below gRPC's 4 MiB default message size.</summary>
    public const int MaxItemBytes = 1024 * 1024;

    private const int CursorLength = 8 + 16 + 8 + 1;

    public override async Task<EraseContactResponse> EraseContact(EraseContactRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var contactId = check.Id("contact_id", request.ContactId);
        check.ThrowIfInvalid();

        var now = clock.GetUtcNow();
        var erasure = await store.StartAsync(new Erasure(
            Caller.Workspace(context), Guid.CreateVersion7(now), ErasureReason.Contact, contactId, null,
            KeyRevocations.KeyId(context.GetHttpContext().User).ToString(), Micros(now), null, ErasureState.Running, 0, 0, 0, 0),
            context.CancellationToken);
        runner.Wake();
        return new EraseContactResponse { Erasure = erasure.ToProto() };
    }

    public override async Task<GetErasureResponse> GetErasure(GetErasureRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var id = check.Id("id", request.Id);
        check.ThrowIfInvalid();
        var erasure = await store.GetAsync(Caller.Workspace(context), id, context.CancellationToken)
            ?? throw new NotFoundException($"erasure {id} not found");
        return new GetErasureResponse { Erasure = erasure.ToProto() };
    }

    public override async Task<ListErasuresResponse> ListErasures(ListErasuresRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var pageSize = check.PageSize(request.PageSize);
        check.ThrowIfInvalid();
        var after = tokens.ReadPageToken(workspace, nameof(ListErasures), request.PageToken);

        var rows = await store.ListAsync(workspace, after is null ? null : (after.SortValue, after.Id), pageSize + 1, context.CancellationToken);
        var response = new ListErasuresResponse();
        var taken = Page.Fill(rows, pageSize, e => e.ToProto(), response.Erasures);
        if (taken < rows.Count)
        {
            var last = rows[taken - 1];
            response.NextPageToken = tokens.PageToken(workspace, nameof(ListErasures), new ConversationKey(Storage.Micros.From(last.CreatedAt), last.Id));
        }
        return response;
    }

    public override async Task<GetRetentionPolicyResponse> GetRetentionPolicy(GetRetentionPolicyRequest request, ServerCallContext context) =>
        new() { Policy = (await store.GetPolicyAsync(Caller.Workspace(context), context.CancellationToken)).ToProto() };

    public override async Task<UpdateRetentionPolicyResponse> UpdateRetentionPolicy(UpdateRetentionPolicyRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        if (request.Policy is null)
        {
            check.Fail("policy", "is required");
        }
        else if (request.Policy.ClosedConversationDays is < 0 or > RetentionPolicy.MaxDays)
        {
            check.Fail("policy.closed_conversation_days", $"must be between 0 (keep forever) and {RetentionPolicy.MaxDays}");
        }
        check.ThrowIfInvalid();
        var policy = new RetentionPolicy(Caller.Workspace(context), request.Policy!.ClosedConversationDays, null);
        return new UpdateRetentionPolicyResponse { Policy = (await store.SetPolicyAsync(policy, clock.GetUtcNow(), context.CancellationToken)).ToProto() };
    }

    [EnableRateLimiting(AuthPolicies.Streams)]
    public override async Task ExportConversations(
        ExportConversationsRequest request, IServerStreamWriter<ExportConversationsResponse> responseStream, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var query = check.Filters(request.Statuses, request.AgentId, request.ChannelId, request.ContactId, request.AssignedTo, request.Tag,
            request.CreatedAfter, request.CreatedBefore, request.LastMessageAfter, request.LastMessageBefore);
        check.ThrowIfInvalid();
        var withoutCursor = request.Clone();
        withoutCursor.AfterCursor = "";
        var scope = Fingerprints.Of(nameof(ExportConversations), withoutCursor);
        var after = request.AfterCursor.Length == 0 ? null : ReadCursor(tokens.ReadToken(workspace, scope, request.AfterCursor, "after_cursor", CursorLength));

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var chunk in export.ReadAsync(workspace, query, after, stopping.Token))
            {
                foreach (var item in Items(chunk, c => tokens.Token(workspace, scope, Cursor(c))))
                {
                    await responseStream.WriteAsync(item, stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the server is shutting down; resume from the last cursor received"));
        }
    }

    /// <summary>A chunk as items of at most <see cref="MaxItemMessages"/> messages and <see cref="MaxItemBytes"/>
    /// (at least one message each), each with the cursor of its position.</summary>
    private static IEnumerable<ExportConversationsResponse> Items(TranscriptExport.Chunk chunk, Func<TranscriptExport.Position, string> cursor)
    {
        var conversation = chunk.Conversation.ToProto();
        var createdAt = Storage.Micros.From(chunk.Conversation.CreatedAt);
        var item = new ExportConversationsResponse { Conversation = conversation };
        var bytes = 0;
        foreach (var message in chunk.Messages)
        {
            var proto = message.ToProto();
            var size = CodedOutputStream.ComputeMessageSize(proto) + 1;
            if (item.Messages.Count > 0 && (item.Messages.Count == MaxItemMessages || bytes + size > MaxItemBytes))
            {
                item.Cursor = cursor(new(createdAt, chunk.Conversation.Id, item.Messages[^1].Sequence, false));
                yield return item;
                item = new ExportConversationsResponse { Conversation = conversation };
                bytes = 0;
            }
            item.Messages.Add(proto);
            bytes += size;
        }
        var last = item.Messages.Count > 0 ? item.Messages[^1].Sequence : 0;
        item.ConversationComplete = chunk.Complete;
        item.Cursor = cursor(new(createdAt, chunk.Conversation.Id, last, chunk.Complete));
        yield return item;
    }

    private static byte[] Cursor(TranscriptExport.Position p)
    {
        var payload = new byte[CursorLength];
        BinaryPrimitives.WriteInt64BigEndian(payload, p.CreatedAt);
        p.Id.TryWriteBytes(payload.AsSpan(8), bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(24), p.Sequence);
        payload[32] = p.Complete ? (byte)1 : (byte)0;
        return payload;
    }

    private static TranscriptExport.Position ReadCursor(byte[] payload) => new(
        BinaryPrimitives.ReadInt64BigEndian(payload),
        new Guid(payload.AsSpan(8, 16), bigEndian: true),
        BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(24)),
        payload[32] == 1);

    private static DateTimeOffset Micros(DateTimeOffset t) => Storage.Micros.ToTime(Storage.Micros.From(t));
}
