// The transport-independent part of the client: the API key and request ids (interceptors), and the
// stream helpers that reconnect and resume. node.ts and web.ts pick the transport.
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  ConversationService, type StreamMessagesResponse, type WatchConversationsRequestSchema,
} from "./gen/timely/conversations/v1/conversation_service_pb.js";
import type { Message } from "./gen/timely/conversations/v1/conversation_pb.js";
import type { MessageVisibility } from "./gen/timely/conversations/v1/conversation_ai_pb.js";
import {
  ReplyDraftState, type ReplyDraft, type StreamReplyDraftRequestSchema, type StreamReplyDraftResponse,
} from "./gen/timely/conversations/v1/conversation_ai_live_pb.js";
import type { ConversationEvent } from "./gen/timely/conversations/v1/conversation_event_pb.js";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { newRequestId } from "./requestIds.js";

export interface TimelyClientOptions {
  /** The service's address: the gRPC port for Node (http://localhost:50051), the web port for browsers. */
  baseUrl: string;
  /** Sent as `authorization: Bearer <key>` on every call, streams included. */
  apiKey: string;
  /** Deadline of each unary call (ms), unless the call sets `timeoutMs`. Default 30000. Streams have none. */
  defaultTimeoutMs?: number;
  /** Longest pause between two attempts to reconnect a stream (ms). Default 5000. */
  maxReconnectDelayMs?: number;
  /** How many times a unary call is attempted when the service is UNAVAILABLE, with backoff from 200 ms (at most
   * 2 s) in between: 1 disables retries; the default, 5, bridges about 3 seconds, a server restart. Streams
   * reconnect on their own, without limit. */
  maxAttempts?: number;
  /** The W3C trace context of the caller, asked for on each call (and each reconnect of a stream): its
   * `traceparent` (and `tracestate`, if any) are sent as headers, so the service's span of the call joins the
   * caller's trace. With OpenTelemetry: `() => { const c = {}; propagation.inject(context.active(), c); return c; }`. */
  traceContext?: () => TraceContext | undefined;
}

/** W3C trace context headers: `traceparent` ("00-<trace id>-<span id>-<flags>") and optional `tracestate`. */
export interface TraceContext {
  traceparent?: string;
  tracestate?: string;
}

const defaultMaxAttempts = 5;

/** The response header of StreamMessages with updates: the cursor its updates start after. */
const updateCursorHeader = "timely-update-cursor";

/** What every transport of the client is built with: the address, the interceptors and the default deadline. */
export function transportOptions(options: TimelyClientOptions) {
  return {
    baseUrl: options.baseUrl,
    interceptors: [
      apiKeyInterceptor(options.apiKey),
      requestIdInterceptor,
      ...(options.traceContext ? [traceContextInterceptor(options.traceContext)] : []),
      createRetryInterceptor(options.maxAttempts ?? defaultMaxAttempts),
    ],
    defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000,
  };
}

/** Options of the resuming streams. */
export interface StreamOptions {
  /** Ends the stream: the loop stops with a ConnectError of code Canceled. */
  signal?: AbortSignal;
  /** Called each time the stream is (re)subscribed and live, before its first item: a view that lists
   * first and then applies the stream lists here, so that nothing written in between is missed. */
  onSubscribed?: () => void;
}

/** Options of `streamLive`: those of every stream, and a visibility filter. */
export interface LiveStreamOptions extends StreamOptions {
  /** Only messages of this visibility (PUBLIC for a customer-facing view); every message the key may read when unset. */
  visibility?: MessageVisibility;
  /** Also the conversation's updates (delivery status, edits, redactions, read horizons), as `streamMessagesWithUpdates` gives them. */
  includeUpdates?: boolean;
  /** With `includeUpdates`: resume the updates after this cursor. */
  afterUpdateCursor?: string;
}

/** The first item of a reply draft, without the conversation: an idempotency key, the AI agent, metadata. */
export interface ReplyDraftStart {
  /** Idempotency key (UUID): a retried draft with the same id and text writes once. Made when empty. */
  requestId?: string;
  /** The AI agent (UUID); the conversation's agent when empty. */
  senderId?: string;
  /** Metadata of the message the draft becomes. */
  metadata?: { [key: string]: string };
}

/** The generated client (every RPC), whose `streamMessages` and `watchConversations` resume after any disconnect. */
export type TimelyClient = Omit<Client<typeof ConversationService>, "streamMessages" | "watchConversations"> & {
  /** Like `streamMessages`, with the live-only items too: each item has a `message`, a `replyDraft` update or an
   * agent's `activity`. Resumes after the last message; a subscriber that (re)joins mid-draft receives the draft's
   * text so far as one delta at offset 0 (`applyDraft` handles both). */
  streamLive(conversationId: string, afterSequence?: bigint, options?: LiveStreamOptions): AsyncGenerator<StreamMessagesResponse>;
  /** Streams a reply of the AI agent from `chunks` (a model's tokens) as a reply draft: live subscribers see each
   * chunk as it is written; when `chunks` ends the whole text becomes one message, which is returned. A request id is
   * made when `start` has none (pass the same `start` to retry). Aborting `signal` abandons the draft. Needs the gRPC
   * transport (HTTP/2): grpc-web cannot stream a request. */
  sendReplyDraft(
    conversationId: string, chunks: AsyncIterable<string> | Iterable<string>, start?: ReplyDraftStart, options?: { signal?: AbortSignal },
  ): Promise<StreamReplyDraftResponse>;
  /** Every message after `afterSequence`, then each new one, exactly once, across reconnects; ends when the conversation closes. */
  streamMessages(conversationId: string, afterSequence?: bigint, options?: StreamOptions): AsyncGenerator<Message>;
  /** Like `streamMessages`, with the conversation's updates too (delivery status changes, edits, redactions, read
   * horizon moves): each item has either `message` or `update`, each exactly once, across reconnects (the updates
   * resume after the last update's cursor, or after the cursor the first subscription started at). */
  streamMessagesWithUpdates(conversationId: string, from?: { afterSequence?: bigint; afterUpdateCursor?: string }, options?: StreamOptions): AsyncGenerator<StreamMessagesResponse>;
  /** Every change to the matching conversations from `filter.afterCursor` (or from now), exactly once, across reconnects. */
  watchConversations(filter: MessageInitShape<typeof WatchConversationsRequestSchema>, options?: StreamOptions): AsyncGenerator<ConversationEvent>;
};

/** `authorization: Bearer <key>` on every call. */
export function apiKeyInterceptor(apiKey: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${apiKey}`);
    return next(req);
  };
}

/** Forwards the caller's W3C trace context (`traceparent`, `tracestate`) on every call, unless the call sets its own. */
export function traceContextInterceptor(traceContext: () => TraceContext | undefined): Interceptor {
  return (next) => async (req) => {
    const context = traceContext();
    for (const name of ["traceparent", "tracestate"] as const) {
      const value = context?.[name];
      if (value && !req.header.has(name)) {
        req.header.set(name, value);
      }
    }
    return next(req);
  };
}

/** A fresh request id on the writes that take one, when the caller left it empty: a retried write is stored once. */
export const requestIdInterceptor: Interceptor = (next) => async (req) => {
  const message = req.message as { requestId?: string };
  if (!req.stream && typeof message.requestId === "string" && message.requestId === "") {
    message.requestId = newRequestId();
  }
  return next(req);
};

/** Unary calls that fail with UNAVAILABLE are tried again, `maxAttempts` times in all (backoff from 200 ms, at most
 * 2 s), with the same message: writes keep the request id the interceptor before gave them, so the service stores
 * them once. A call that found the service unreachable (its connection refused, as during a restart) reached no
 * server: it waits for the service up to its deadline, as in the C# SDK (wait-for-ready), and those attempts are
 * not counted. */
export function createRetryInterceptor(maxAttempts: number): Interceptor {
  return (next) => async (req) => {
    if (req.stream) {
      return next(req);
    }
    for (let attempt = 1, pause = 1; ; pause++) {
      try {
        return await next(req);
      } catch (error) {
        const e = ConnectError.from(error);
        const unreachable = e.code === Code.Unavailable && refused(e);
        if (e.code !== Code.Unavailable || (!unreachable && attempt >= maxAttempts) || req.signal.aborted) {
          throw e;
        }
        attempt += unreachable ? 0 : 1;
        await sleep(Math.min(2000, 200 * 2 ** Math.min(pause - 1, 4)), req.signal);
      }
    }
  };
}

/** Whether a call failed because its connection was refused: nothing was sent, no server is listening yet. */
function refused(error: ConnectError): boolean {
  for (let cause: unknown = error.cause; cause instanceof Error; cause = cause.cause) {
    if ((cause as { code?: unknown }).code === "ECONNREFUSED") {
      return true;
    }
  }
  return false;
}

/** The retries of a client created without `maxAttempts`: `createRetryInterceptor(5)`. */
export const retryInterceptor: Interceptor = createRetryInterceptor(defaultMaxAttempts);

export function createTimelyClientWith(transport: Transport, options: TimelyClientOptions): TimelyClient {
  const client = withRequestIds(createClient(ConversationService, transport));   // the raw RPCs, streams included
  const maxDelay = options.maxReconnectDelayMs ?? 5000;

  async function* streamMessages(conversationId: string, afterSequence = 0n, options: StreamOptions = {}): AsyncGenerator<Message> {
    const { signal, onSubscribed: onHeader } = options;
    let position = afterSequence;
    const open = () => client.streamMessages({ conversationId, afterSequence: position }, { signal, onHeader, timeoutMs: 0 });
    for await (const { message } of resuming(open, maxDelay, signal)) {
      if (message && message.sequence > position) {
        position = message.sequence;
        yield message;
      }
    }
  }

  async function* streamMessagesWithUpdates(
    conversationId: string, from: { afterSequence?: bigint; afterUpdateCursor?: string } = {}, options: StreamOptions = {},
  ): AsyncGenerator<StreamMessagesResponse> {
    const { signal, onSubscribed } = options;
    let position = from.afterSequence ?? 0n;
    let cursor = from.afterUpdateCursor ?? "";
    const onHeader = (headers: Headers) => {
      cursor ||= headers.get(updateCursorHeader) ?? "";   // where the first subscription's updates start
      onSubscribed?.();
    };
    const open = () => client.streamMessages(
      { conversationId, afterSequence: position, includeUpdates: true, afterUpdateCursor: cursor }, { signal, onHeader, timeoutMs: 0 });
    for await (const item of resuming(open, maxDelay, signal)) {
      if (item.update) {
        cursor = item.update.cursor;
        yield item;
      } else if (item.message && item.message.sequence > position) {
        position = item.message.sequence;
        yield item;
      }
    }
  }

  async function* watchConversations(filter: MessageInitShape<typeof WatchConversationsRequestSchema>, options: StreamOptions = {}): AsyncGenerator<ConversationEvent> {
    const { signal, onSubscribed: onHeader } = options;
    let cursor = filter.afterCursor ?? "";
    const open = () => client.watchConversations({ ...filter, afterCursor: cursor }, { signal, onHeader, timeoutMs: 0 });
    for await (const { event } of resuming(open, maxDelay, signal)) {
      if (event) {
        cursor = event.cursor;
        yield event;
      }
    }
  }

  async function* streamLive(conversationId: string, afterSequence = 0n, options: LiveStreamOptions = {}): AsyncGenerator<StreamMessagesResponse> {
    const { signal, onSubscribed, visibility, includeUpdates = false } = options;
    let position = afterSequence;
    let cursor = options.afterUpdateCursor ?? "";
    const onHeader = (headers: Headers) => {
      cursor ||= headers.get(updateCursorHeader) ?? "";   // where the first subscription's updates start
      onSubscribed?.();
    };
    const open = () => client.streamMessages(
      { conversationId, afterSequence: position, includeLive: true, visibility, includeUpdates, afterUpdateCursor: includeUpdates ? cursor : "" },
      { signal, onHeader, timeoutMs: 0 });
    for await (const item of resuming(open, maxDelay, signal)) {
      if (item.message) {
        if (item.message.sequence <= position) {
          continue;
        }
        position = item.message.sequence;
      } else if (item.update) {
        cursor = item.update.cursor;
      }
      yield item;
    }
  }

  async function sendReplyDraft(
    conversationId: string, chunks: AsyncIterable<string> | Iterable<string>, start: ReplyDraftStart = {}, options: { signal?: AbortSignal } = {},
  ): Promise<StreamReplyDraftResponse> {
    if (!start.requestId) {
      start.requestId = newRequestId();
    }
    const first = { ...start, conversationId };
    async function* items(): AsyncGenerator<MessageInitShape<typeof StreamReplyDraftRequestSchema>> {
      yield { item: { case: "start", value: first } };
      for await (const text of chunks) {
        if (text.length > 0) {
          yield { item: { case: "text", value: text } };
        }
      }
    }
    return client.streamReplyDraft(items(), { signal: options.signal, timeoutMs: 0 });
  }

  return { ...client, streamMessages, streamMessagesWithUpdates, watchConversations, streamLive, sendReplyDraft };
}

/** The SDKs' rule for request ids: a write that takes one and is called without one gets a fresh id written
 * into the caller's request object before it is sent, so sending the same object again (a retry of the
 * caller's) is stored once, as in the C# and Python SDKs; a new object is a new write. */
function withRequestIds(client: Client<typeof ConversationService>): Client<typeof ConversationService> {
  const wrapped: Record<string, unknown> = { ...client };
  for (const method of ConversationService.methods) {
    if (method.methodKind === "unary" && method.input.fields.some((f) => f.localName === "requestId")) {
      const call = (client as unknown as Record<string, (input: { requestId?: string }, options?: unknown) => unknown>)[method.localName];
      wrapped[method.localName] = (input: { requestId?: string }, callOptions?: unknown) => {
        if (!input.requestId && Object.isExtensible(input)) {
          input.requestId = newRequestId();
        }
        return call(input, callOptions);
      };
    }
  }
  return wrapped as unknown as Client<typeof ConversationService>;
}

/** The items of the stream `open()` starts, across reconnects: after a dropped connection it waits (backoff)
 * and calls `open()` again, which resumes from the position its caller kept; after the server ended it as
 * stalled it calls again at once. Ends when a stream ends OK. */
async function* resuming<T>(open: () => AsyncIterable<T>, maxDelayMs: number, signal?: AbortSignal): AsyncGenerator<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const item of open()) {
        attempt = 0;
        yield item;
      }
      return; // ended OK (StreamMessages: the conversation is closed)
    } catch (error) {
      if (rethrowUnlessResumable(error, signal) === "stalled") {
        attempt = -1;   // not an outage: the server is up and the caller reads again, so resume at once
        continue;
      }
    }
    await sleep(reconnectDelay(attempt, maxDelayMs), signal);
  }
}

/** Why a stream that ended with `error` resumes: "dropped" when the connection dropped or the server went away
 * (reconnect with backoff), "stalled" when the server ended it because one write waited
 * Feeds:StalledSubscriberTimeout (30 s) for the caller to read (RESOURCE_EXHAUSTED with the ErrorInfo reason
 * SUBSCRIBER_STALLED, after all it had sent: nothing is lost). Anything else, another RESOURCE_EXHAUSTED (a rate
 * limit, the quota of streams) included, is thrown: the caller's to handle.
 * A dropped HTTP/2 stream surfaces as CANCELED (reset by the peer), a dropped HTTP/1.1 response as ABORTED,
 * a refused connection as UNAVAILABLE, a stream reset by a proxy whose upstream died (nginx: INTERNAL_ERROR)
 * as INTERNAL caused by an HTTP/2 stream error; the service itself sends none of these on a stream. */
function rethrowUnlessResumable(error: unknown, signal?: AbortSignal): "dropped" | "stalled" {
  const e = ConnectError.from(error);
  const reset = e.code === Code.Internal && (e.cause as { code?: string } | undefined)?.code === "ERR_HTTP2_STREAM_ERROR";
  const dropped = e.code === Code.Unavailable || e.code === Code.Canceled || e.code === Code.Aborted || reset;
  const stalled = e.code === Code.ResourceExhausted && e.findDetails(ErrorInfoSchema).some((i) => i.reason === "SUBSCRIBER_STALLED");
  if (signal?.aborted) {
    // The caller's abort, as the transport reports one, whatever status the call ended with: the abort can land
    // after the transport reported the status of a call that ended as it did (UNAVAILABLE: a replica went away).
    throw ConnectError.from(signal.reason, Code.Canceled);
  }
  if (!(dropped || stalled)) {
    throw e;
  }
  return stalled ? "stalled" : "dropped";
}

function reconnectDelay(attempt: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, 100 * 2 ** Math.min(attempt, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Waits `ms`, or rejects (Canceled) when `signal` aborts first; either way the other is let go, so a
 * long-lived signal does not collect one listener per pause. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ConnectError("aborted", Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A draft's text after `update`: a delta at offset 0 starts (or, for a late subscriber, restores) it; any other
 * delta is appended; COMMITTED and ABANDONED end it (""). */
export function applyDraft(text: string, update: ReplyDraft): string {
  switch (update.state) {
    case ReplyDraftState.DELTA:
      return update.offset === 0n ? update.text : text + update.text;
    case ReplyDraftState.STARTED:
      return "";
    default:
      return "";
  }
}
