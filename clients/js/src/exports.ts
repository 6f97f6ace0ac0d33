// What both entry points export besides createTimelyClient: the client's types, the interceptors,
// the generated messages and enums, and the google.rpc error details to read from a ConnectError.
export {
  apiKeyInterceptor, applyDraft, createRetryInterceptor, requestIdInterceptor, retryInterceptor, traceContextInterceptor,
  type LiveStreamOptions, type ReplyDraftStart, type StreamOptions, type TimelyClient, type TimelyClientOptions, type TraceContext,
} from "./core.js";
export * from "./gen/timely/conversations/v1/conversation_pb.js";
export * from "./gen/timely/conversations/v1/conversation_event_pb.js";
export * from "./gen/timely/conversations/v1/conversation_service_pb.js";
export * from "./gen/timely/conversations/v1/webhook_service_pb.js";
export { WebhookVerificationError, WebhookVerifier, type TimelyWebhook, type WebhookHeaders, type WebhookVerifierOptions } from "./webhooks.js";
export * from "./gen/timely/conversations/v1/conversation_ai_pb.js";
export {
  AgentActivityKind, AgentActivityKindSchema, AgentActivitySchema, ReplyDraftAbandonReason, ReplyDraftAbandonReasonSchema, ReplyDraftSchema,
  ReplyDraftStartSchema, ReplyDraftState, ReplyDraftStateSchema, SetActivityRequestSchema, SetActivityResponseSchema, StreamReplyDraftRequestSchema,
  StreamReplyDraftResponseSchema, file_timely_conversations_v1_conversation_ai_live,
  type AgentActivity, type ReplyDraft, type SetActivityRequest, type SetActivityResponse, type StreamReplyDraftRequest,
  type StreamReplyDraftResponse,
} from "./gen/timely/conversations/v1/conversation_ai_live_pb.js";
export * from "./gen/timely/conversations/v1/receipt_types_pb.js";
export * from "./gen/timely/conversations/v1/receipts_pb.js";
export { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb.js";
export { Code, ConnectError } from "@connectrpc/connect";
