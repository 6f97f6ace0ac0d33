// Verifies the webhook requests of the Timely service (Standard Webhooks) and reads their typed event, with
// the Web Crypto API: the same code in Node, Deno, Bun, Cloudflare Workers and browsers.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type ConversationEvent, ConversationEventSchema } from "./gen/timely/conversations/v1/conversation_event_pb.js";

/** A verified webhook: its `id` (the event's cursor, the same on every retry: drop duplicates by it), its
 * `type` ("conversation.message_added", ..., or "webhook.test"), when it was sent, and the event
 * (undefined for "webhook.test"). */
export interface TimelyWebhook {
  id: string;
  type: string;
  timestamp: Date;
  event?: ConversationEvent;
}

/** A request that is not from the service, is stale, or is not one of its webhooks: answer 400 or 401. */
export class WebhookVerificationError extends Error {
  override name = "WebhookVerificationError";
}

/** A request's headers: a Fetch `Headers`, or Node's `IncomingHttpHeaders` (lower-case names). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface WebhookVerifierOptions {
  /** How far the request's timestamp may be from now, either way, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** The current time (for tests). */
  now?: () => Date;
}

/** Verifies webhook requests by the Standard Webhooks specification: `webhook-signature` is "v1," and the
 * base64 HMAC-SHA256 of "id.timestamp.body" under a "whsec_" secret. Give every secret that may sign (during a
 * rotation, the new and the previous one): a request is accepted when any of its signatures matches any
 * secret and its timestamp is within the tolerance. */
export class WebhookVerifier {
  private readonly keys: Promise<CryptoKey[]>;
  private readonly toleranceMs: number;
  private readonly now: () => Date;

  constructor(secrets: string | string[], options: WebhookVerifierOptions = {}) {
    const all = typeof secrets === "string" ? [secrets] : secrets;
    if (all.length === 0) {
      throw new TypeError("give at least one webhook secret");
    }
    this.keys = Promise.all(all.map((s) =>
      crypto.subtle.importKey("raw", decode(s.startsWith("whsec_") ? s.slice(6) : s), { name: "HMAC", hash: "SHA-256" }, false, ["verify"])));
    this.toleranceMs = (options.toleranceSeconds ?? 300) * 1000;
    this.now = options.now ?? (() => new Date());
  }

  /** Verifies a request and reads its event; throws WebhookVerificationError when it must be refused.
   * `body` is the request's body exactly as received (read it raw, before any JSON parsing). */
  async verify(body: string | Uint8Array, headers: WebhookHeaders): Promise<TimelyWebhook> {
    const id = required(headers, "webhook-id");
    const timestamp = required(headers, "webhook-timestamp");
    const signatures = required(headers, "webhook-signature");
    if (!/^\d+$/.test(timestamp)) {
      throw new WebhookVerificationError(`webhook-timestamp '${timestamp}' is not Unix seconds`);
    }
    const sent = new Date(Number(timestamp) * 1000);
    if (Math.abs(this.now().getTime() - sent.getTime()) > this.toleranceMs) {
      throw new WebhookVerificationError(`webhook-timestamp ${sent.toISOString()} is more than ${this.toleranceMs / 1000} s from now`);
    }
    const text = typeof body === "string" ? body : new TextDecoder().decode(body);
    const signed = new TextEncoder().encode(`${id}.${timestamp}.${text}`);
    const given = signatures.split(" ").filter((s) => s.startsWith("v1,")).map((s) => tryDecode(s.slice(3)));
    const keys = await this.keys;
    for (const signature of given) {
      for (const key of keys) {
        // subtle.verify compares in constant time.
        if (signature && (await crypto.subtle.verify("HMAC", key, signature, signed))) {
          return read(id, sent, text);
        }
      }
    }
    throw new WebhookVerificationError("no webhook-signature matches the body under the given secrets");
  }
}

function read(id: string, timestamp: Date, body: string): TimelyWebhook {
  let envelope: { type?: unknown; data?: unknown };
  try {
    envelope = JSON.parse(body);
  } catch (error) {
    throw new WebhookVerificationError(`the body is not JSON: ${(error as Error).message}`);
  }
  if (typeof envelope.type !== "string" || typeof envelope.data !== "object" || envelope.data === null) {
    throw new WebhookVerificationError("the body is not a Timely webhook: it needs 'type' and 'data'");
  }
  const empty = Object.keys(envelope.data).length === 0;
  const event = empty ? undefined : fromJson(ConversationEventSchema, envelope.data as JsonValue, { ignoreUnknownFields: true });
  return { id, type: envelope.type, timestamp, event };
}

function required(headers: WebhookHeaders, name: string): string {
  const value = headers instanceof Headers ? headers.get(name) : headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) {
    throw new WebhookVerificationError(`the ${name} header is missing`);
  }
  return text;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bytes = tryDecode(base64);
  if (!bytes) {
    throw new TypeError('a webhook secret is "whsec_" and base64');
  }
  return bytes;
}

function tryDecode(base64: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
    return undefined;
  }
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}
