using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Domain;
using Domain = Timely.Server.Domain;

namespace Timely.Server.Api;

// Issue 21's endpoints of ConversationService: delivery reports, read horizons, edits, redactions and
// revisions. The rules are in Domain/Receipts.cs, the SQL in Storage/ReceiptStore.cs.
public sealed partial class ConversationApi
{
    /// <summary>The response header of StreamMessages with include_updates: the cursor its updates start after.</summary>
    public const string UpdateCursorHeader = "timely-update-cursor";

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<UpdateDeliveryStatusResponse> UpdateDeliveryStatus(UpdateDeliveryStatusRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var messageId = check.OptionalId("message_id", request.MessageId);
        var externalId = check.Text("external_id", request.ExternalId, Limits.MaxExternalIdLength);
        if (request.MessageId.Length == 0 && request.ExternalId.Length == 0)
        {
            check.Fail("message_id", "is required when external_id is empty: name the message by one of them");
        }
        var status = request.Status.ToDomain();
        if (status is null)
        {
            check.Fail("status", request.Status == Conversations.V1.DeliveryStatus.Unspecified ? "is required" : $"{(int)request.Status} is not a delivery status");
        }
        var error = check.Text("error", request.Error, Receipts.MaxDeliveryErrorLength) ?? "";
        if (error.Length > 0 && status is not null and not Domain.DeliveryStatus.Failed)
        {
            check.Fail("error", "is only allowed with status FAILED");
        }
        var occurredAt = check.Time("occurred_at", request.OccurredAt);
        check.ThrowIfInvalid();

        var (message, changed) = await receipts.ReportDeliveryAsync(Caller.Workspace(context), conversationId, messageId, externalId,
            status!.Value, error, occurredAt, context.CancellationToken);
        return new UpdateDeliveryStatusResponse { Message = message.ToProto(), Changed = changed };
    }

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<MarkReadResponse> MarkRead(MarkReadRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var participant = request.ParticipantType.ToDomain();
        Guid? humanAgent = null;
        if (participant is null)
        {
            check.Fail("participant_type", request.ParticipantType == ReadParticipantType.Unspecified
                ? "is required" : $"{(int)request.ParticipantType} is not a participant type");
        }
        else if (Caller.Agent(context) is { } agent)
        {
            humanAgent = participant == ReadParticipant.HumanAgent
                ? AgentBinding.TakingOver(agent, check.OptionalId("participant_id", request.ParticipantId))
                : throw AgentBinding.Refusal(agent, "marks messages read only as that human agent (participant_type HUMAN_AGENT)");
        }
        else if (participant == ReadParticipant.HumanAgent)
        {
            humanAgent = check.Id("participant_id", request.ParticipantId);
        }
        else if (request.ParticipantId.Length > 0)
        {
            check.Fail("participant_id", "is only allowed for HUMAN_AGENT: the contact and the AI agent are the conversation's own");
        }
        if (request.UpToSequence < 1)
        {
            check.Fail("up_to_sequence", "must be at least 1");
        }
        check.ThrowIfInvalid();

        var (conversation, changed) = await receipts.MarkReadAsync(Caller.Workspace(context), conversationId, participant!.Value, humanAgent,
            request.UpToSequence, context.CancellationToken);
        return new MarkReadResponse { Conversation = conversation.ToProto(), Changed = changed };
    }

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<EditMessageResponse> EditMessage(EditMessageRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var messageId = check.Id("message_id", request.MessageId);
        if (System.Text.Encoding.UTF8.GetByteCount(request.Content) > Limits.MaxContentBytes)
        {
            check.Fail("content", $"must be at most {Limits.MaxContentBytes} bytes of UTF-8, not {System.Text.Encoding.UTF8.GetByteCount(request.Content)}");
        }
        check.StorableText("content", request.Content);
        if (request.Revision < 0)
        {
            check.Fail("revision", "must not be negative");
        }
        var editor = check.Sender(request.EditorType) switch
        {
            Domain.SenderType.AiAgent => Domain.SenderType.AiAgent,
            Domain.SenderType.HumanAgent => Domain.SenderType.HumanAgent,
            var other => Invalid(check, "editor_type", request.EditorType == Conversations.V1.SenderType.Unspecified
                ? "is required" : "must be AI_AGENT or HUMAN_AGENT", other),
        };
        var editorId = Caller.Agent(context) is { } agent
            ? AgentBinding.Writer(agent, editor, check.OptionalId("editor_id", request.EditorId))
            : editor == Domain.SenderType.HumanAgent ? check.Id("editor_id", request.EditorId) : check.OptionalId("editor_id", request.EditorId);
        check.ThrowIfInvalid();

        var message = await receipts.EditAsync(Caller.Workspace(context), conversationId, messageId, request.Content,
            request.Revision == 0 ? null : request.Revision, editor, editorId, context.CancellationToken);
        return new EditMessageResponse { Message = message.ToProto() };
    }

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<RedactMessageResponse> RedactMessage(RedactMessageRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var messageId = check.Id("message_id", request.MessageId);
        check.ThrowIfInvalid();

        var user = context.GetHttpContext().User;
        var by = new Redactor(KeyRevocations.KeyId(user), user.HasClaim(ApiKeyAuthentication.ScopeClaim, nameof(ApiKeyScope.Admin)), Caller.Agent(context));
        var message = await receipts.RedactAsync(Caller.Workspace(context), conversationId, messageId, by, context.CancellationToken);
        return new RedactMessageResponse { Message = message.ToProto() };
    }

    public override async Task<GetMessageResponse> GetMessage(GetMessageRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var messageId = check.Id("message_id", request.MessageId);
        check.ThrowIfInvalid();

        var message = await receipts.GetMessageAsync(Caller.Workspace(context), conversationId, messageId, context.CancellationToken)
            ?? throw new NotFoundException($"message {messageId} not found in conversation {conversationId}");
        return new GetMessageResponse { Message = message.ToProto() };
    }

    [Authorize(Policy = AuthPolicies.Admin)]
    public override async Task<ListMessageRevisionsResponse> ListMessageRevisions(ListMessageRevisionsRequest request, ServerCallContext context)
    {
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var messageId = check.Id("message_id", request.MessageId);
        check.ThrowIfInvalid();

        var revisions = await receipts.ListRevisionsAsync(Caller.Workspace(context), conversationId, messageId, context.CancellationToken)
            ?? throw new NotFoundException($"message {messageId} not found in conversation {conversationId}");
        var response = new ListMessageRevisionsResponse();
        response.Revisions.AddRange(revisions.Select(r => r.ToProto()));
        return response;
    }
}
