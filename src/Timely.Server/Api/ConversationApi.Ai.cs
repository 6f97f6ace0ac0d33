using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Timely.Conversations.V1;
using Timely.Server.Auth;
using Timely.Server.Domain;
using Domain = Timely.Server.Domain;

namespace Timely.Server.Api;

/// <summary>Issue 17's endpoints and request checks: reply drafts, agent activity, internal notes and
/// handoff context. Drafts and activity run in Feeds (ReplyDrafts, LiveHub); the message a draft becomes
/// goes through the store's append, as SendMessage's does.</summary>
public sealed partial class ConversationApi
{
    private static readonly TimeSpan DefaultActivityTtl = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxActivityTtl = TimeSpan.FromSeconds(60);

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<StreamReplyDraftResponse> StreamReplyDraft(IAsyncStreamReader<StreamReplyDraftRequest> requestStream, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct) || requestStream.Current.ItemCase != StreamReplyDraftRequest.ItemOneofCase.Start)
        {
            throw new InvalidArgumentException("start", "the first item must be start, naming the conversation");
        }
        var start = requestStream.Current.Start;
        if (Caller.Agent(context) is { } agent)
        {
            throw AgentBinding.Refusal(agent, "cannot write as the AI agent");
        }
        var check = new RequestChecker();
        var conversationId = check.Id("start.conversation_id", start.ConversationId);
        var senderId = check.OptionalId("start.sender_id", start.SenderId);
        _ = check.Message(Domain.SenderType.AiAgent, senderId, "-", Conversations.V1.MessageType.Text, "", "", start.Metadata);
        _ = check.RequestId(start.RequestId, nameof(SendMessage), new SendMessageRequest());
        check.ThrowIfInvalid();

        var conversation = await store.GetConversationAsync(workspace, conversationId, ct) ?? throw NotFoundException.Conversation(conversationId);
        Lifecycle.Apply(conversation, LifecycleAction.AiAgentMessage, DateTimeOffset.UtcNow); // refused as the message would be
        // A retry of a draft already committed is not forwarded again; its commit returns the first message.
        var retry = start.RequestId.Length > 0 && await store.HasRequestAsync(workspace, start.RequestId, ct);

        var result = await drafts.RunAsync(workspace, conversation, Senders.Resolve(Domain.SenderType.AiAgent, senderId, conversation)!.Value, live: !retry,
            async token =>
            {
                // The read itself is cancelled, not only the wait for it: a read still pending when the call
                // ends breaks the next call that reuses the connection's stream.
                if (!await requestStream.MoveNext(token))
                {
                    return null;
                }
                return requestStream.Current.ItemCase == StreamReplyDraftRequest.ItemOneofCase.Text
                    ? requestStream.Current.Text
                    : throw new InvalidArgumentException("text", "every item after the first must be text");
            },
            (text, token) =>
            {
                var commit = new RequestChecker();
                var message = commit.Message(Domain.SenderType.AiAgent, senderId, text, Conversations.V1.MessageType.Text, "", "", start.Metadata);
                // The same request as SendMessage with this text: a request id means the same thing on both.
                var same = new SendMessageRequest { ConversationId = start.ConversationId, SenderType = Conversations.V1.SenderType.AiAgent, SenderId = start.SenderId, Content = text };
                same.Metadata.Add(start.Metadata);
                var key = commit.RequestId(start.RequestId, nameof(SendMessage), same);
                commit.ThrowIfInvalid();
                return store.AppendMessageAsync(workspace, conversationId, message, key, token);
            }, ct);
        return new StreamReplyDraftResponse { Message = result.Message.ToProto(), Conversation = result.Conversation.ToProto() };
    }

    [Authorize(Policy = AuthPolicies.Write)]
    public override async Task<SetActivityResponse> SetActivity(SetActivityRequest request, ServerCallContext context)
    {
        var workspace = Caller.Workspace(context);
        var check = new RequestChecker();
        var conversationId = check.Id("conversation_id", request.ConversationId);
        var kind = request.Kind.ToDomain();
        if (kind is null)
        {
            check.Fail("kind", request.Kind == Conversations.V1.AgentActivityKind.Unspecified ? "is required" : $"{(int)request.Kind} is not an activity kind");
        }
        var ttl = DefaultActivityTtl;
        if (request.Ttl is { } given)
        {
            var asked = given.Seconds * 1_000_000_000L + given.Nanos;
            if (asked < 0 || given.Nanos is < -999_999_999 or > 999_999_999)
            {
                check.Fail("ttl", "must not be negative");
            }
            else if (asked > (long)MaxActivityTtl.TotalSeconds * 1_000_000_000L)
            {
                check.Fail("ttl", $"must be at most {MaxActivityTtl.TotalSeconds:0} seconds");
            }
            else if (asked > 0)
            {
                ttl = TimeSpan.FromTicks(asked / 100);
            }
        }
        var sender = request.SenderType switch
        {
            Conversations.V1.SenderType.Unspecified or Conversations.V1.SenderType.AiAgent => Domain.SenderType.AiAgent,
            Conversations.V1.SenderType.HumanAgent => Domain.SenderType.HumanAgent,
            _ => Invalid(check, "sender_type", "must be AI_AGENT or HUMAN_AGENT", Domain.SenderType.AiAgent),
        };
        var senderId = Caller.Agent(context) is { } agent
            ? AgentBinding.Writer(agent, sender, check.OptionalId("sender_id", request.SenderId))
            : sender == Domain.SenderType.HumanAgent ? check.Id("sender_id", request.SenderId) : check.OptionalId("sender_id", request.SenderId);
        check.ThrowIfInvalid();

        var conversation = await store.GetConversationAsync(workspace, conversationId, context.CancellationToken)
            ?? throw NotFoundException.Conversation(conversationId);
        if (conversation.Status == Domain.ConversationStatus.Closed)
        {
            throw new TransitionRefusedException("CONVERSATION_CLOSED", Domain.ConversationStatus.Closed, "the conversation is closed: no activity can be set in it");
        }
        var activity = liveHub.SetActivity(workspace, conversation, kind!.Value, sender, Senders.Resolve(sender, senderId, conversation)!.Value, ttl);
        return new SetActivityResponse { Activity = activity.ToProto(conversationId) };
    }

    /// <summary>The visibility a read returns: PUBLIC for a key restricted to public messages, whatever it
    /// asks; else the filter asked for (null: every message).</summary>
    private static Domain.MessageVisibility? ReadVisibility(RequestChecker check, ServerCallContext context, string field, Conversations.V1.MessageVisibility asked)
    {
        var visibility = asked switch
        {
            Conversations.V1.MessageVisibility.Unspecified => (Domain.MessageVisibility?)null,
            Conversations.V1.MessageVisibility.Public => Domain.MessageVisibility.Public,
            Conversations.V1.MessageVisibility.Internal => Domain.MessageVisibility.Internal,
            _ => Invalid(check, field, $"{(int)asked} is not a visibility", (Domain.MessageVisibility?)null),
        };
        return Caller.PublicOnly(context) ? Domain.MessageVisibility.Public : visibility;
    }

    /// <summary>The visibility of a message to write: internal notes are for agents and humans, and a key
    /// restricted to public messages cannot write one.</summary>
    private static Domain.MessageVisibility WrittenVisibility(
        RequestChecker check, ServerCallContext context, Domain.SenderType sender, Conversations.V1.MessageVisibility asked)
    {
        switch (asked)
        {
            case Conversations.V1.MessageVisibility.Unspecified or Conversations.V1.MessageVisibility.Public:
                return Domain.MessageVisibility.Public;
            case Conversations.V1.MessageVisibility.Internal:
                if (Caller.PublicOnly(context))
                {
                    throw new PermissionDeniedException("KEY_PUBLIC_ONLY", "this API key reads and writes only public messages: it cannot write an internal note");
                }
                if (sender == Domain.SenderType.Customer)
                {
                    check.Fail("visibility", "a customer's message is always PUBLIC: internal notes are for agents and humans");
                }
                return Domain.MessageVisibility.Internal;
            default:
                check.Fail("visibility", $"{(int)asked} is not a visibility");
                return Domain.MessageVisibility.Public;
        }
    }

    private static Domain.HandoffPriority? Priority(RequestChecker check, Conversations.V1.HandoffPriority priority) => priority switch
    {
        Conversations.V1.HandoffPriority.Unspecified => null,
        >= Conversations.V1.HandoffPriority.Low and <= Conversations.V1.HandoffPriority.Urgent => (Domain.HandoffPriority)(int)priority,
        _ => Invalid(check, "priority", $"{(int)priority} is not a priority", (Domain.HandoffPriority?)null),
    };

    /// <summary>The handoff context a HandoffConversation request carries (its time is set by the change).</summary>
    private static Domain.HandoffContext HandoffContextOf(RequestChecker check, HandoffConversationRequest request)
    {
        var reason = request.Reason is >= Conversations.V1.HandoffReason.Unspecified and <= Conversations.V1.HandoffReason.Other
            ? (Domain.HandoffReason)(int)request.Reason
            : Invalid(check, "reason", $"{(int)request.Reason} is not a handoff reason", Domain.HandoffReason.Unspecified);
        var priority = Priority(check, request.Priority) ?? Domain.HandoffPriority.Normal;
        if (Encoding.UTF8.GetByteCount(request.Summary) > Domain.HandoffContext.MaxSummaryBytes)
        {
            check.Fail("summary", $"must be at most {Domain.HandoffContext.MaxSummaryBytes} bytes of UTF-8");
        }
        check.StorableText("summary", request.Summary);
        return new Domain.HandoffContext(reason, priority, request.Summary, default);
    }

    private static ConversationChange WithHandoff(ConversationChange change, Domain.HandoffContext? context, DateTimeOffset now) =>
        context is null ? change : change with { After = change.After with { Handoff = context with { HandedOffAt = now } } };
}
