using Grpc.Core;
using Timely.Conversations.V1;

namespace Timely.Server.Tests.AiNative;

/// <summary>Starting and feeding a reply draft.</summary>
public static class Drafts
{
    public static async Task<AsyncClientStreamingCall<StreamReplyDraftRequest, StreamReplyDraftResponse>> StartDraft(
        ConversationService.ConversationServiceClient client, string conversationId, string requestId = "", CancellationToken ct = default)
    {
        var call = client.StreamReplyDraft(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new StreamReplyDraftRequest { Start = new ReplyDraftStart { ConversationId = conversationId, RequestId = requestId } });
        return call;
    }

    public static Task Piece(AsyncClientStreamingCall<StreamReplyDraftRequest, StreamReplyDraftResponse> call, string text) =>
        call.RequestStream.WriteAsync(new StreamReplyDraftRequest { Text = text });

}
