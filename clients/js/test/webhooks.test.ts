// WebhookVerifier on the requests the real server sends to a receiver (node:http on loopback), and on requests it must refuse.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ConversationEventType, SenderType, WebhookService, WebhookVerificationError, WebhookVerifier, createTimelyClient,
} from "../src/node.js";
import { transportOptions } from "../src/core.js";
import { TestServer, newId } from "./server.js";

const server = new TestServer({
  Webhooks__AllowHttp: "true",
  Webhooks__AllowPrivateNetworks: "true",
  Webhooks__PollInterval: "00:00:00.100",
});
before(() => server.start());
after(() => server.dispose());

/** A receiver that answers 204 and queues each request for the test. */
async function startReceiver() {
  const waiting: ((r: { body: string; headers: IncomingHttpHeaders }) => void)[] = [];
  const received: { body: string; headers: IncomingHttpHeaders }[] = [];
  const http = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      res.writeHead(204).end();
      const request = { body, headers: req.headers };
      const next = waiting.shift();
      if (next) next(request);
      else received.push(request);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hooks`,
    next: () => new Promise<{ body: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const queued = received.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => reject(new Error("no webhook within 20 s")), 20_000);
      waiting.push((r) => { clearTimeout(timer); resolve(r); });
    }),
    close: () => new Promise((resolve) => http.close(resolve)),
  };
}

test("a receiver verifies the server's webhook and reads its typed event", async () => {
  const receiver = await startReceiver();
  try {
    const timely = createTimelyClient({ baseUrl: server.grpcUrl, apiKey: server.apiKey });
    const webhooks = createClient(WebhookService, createGrpcTransport(transportOptions({ baseUrl: server.grpcUrl, apiKey: server.apiKey })));
    const created = await webhooks.createWebhookEndpoint({ endpoint: { url: receiver.url, enabled: true, eventTypes: [ConversationEventType.MESSAGE_ADDED] } });
    const verifier = new WebhookVerifier(created.secret);

    const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
    await timely.sendMessage({ conversationId: conversation!.id, senderType: SenderType.AI_AGENT, content: "Your order ships today." });

    const request = await receiver.next();
    const webhook = await verifier.verify(request.body, request.headers);
    assert.equal(webhook.type, "conversation.message_added");
    assert.equal(webhook.event?.type, ConversationEventType.MESSAGE_ADDED);
    assert.equal(webhook.event?.cursor, webhook.id);
    assert.equal(webhook.event?.message?.content, "Your order ships today.");
    assert.equal(webhook.event?.message?.sequence, 1n);
    // The same check through a Fetch Headers object, as a Workers or Deno receiver has it.
    const fetchHeaders = new Headers(Object.entries(request.headers).map(([k, v]) => [k, String(v)] as [string, string]));
    assert.equal((await verifier.verify(new TextEncoder().encode(request.body), fetchHeaders)).id, webhook.id);

    // Another secret, or a changed body, is refused.
    const other = new WebhookVerifier("whsec_" + randomBytes(32).toString("base64"));
    await assert.rejects(other.verify(request.body, request.headers), WebhookVerificationError);
    await assert.rejects(verifier.verify(request.body.replace("ships today", "ships never"), request.headers), WebhookVerificationError);

    // After a rotation, two signatures: the old secret and the new one each verify the request.
    const rotated = await webhooks.rotateWebhookSecret({ id: created.endpoint!.id });
    await webhooks.sendTestWebhookEvent({ endpointId: created.endpoint!.id });
    const test = await receiver.next();
    assert.equal(String(test.headers["webhook-signature"]).split(" ").length, 2);
    assert.equal((await verifier.verify(test.body, test.headers)).event, undefined);
    assert.equal((await new WebhookVerifier(rotated.secret).verify(test.body, test.headers)).type, "webhook.test");
  } finally {
    await receiver.close();
  }
});

test("a request outside the tolerance or without its headers is refused", async () => {
  const secret = "whsec_" + randomBytes(32).toString("base64");
  const body = JSON.stringify({ type: "webhook.test", timestamp: "2026-12-01T10:00:00Z", data: {} });
  const sent = Date.parse("2026-12-01T10:00:00Z");
  const timestamp = String(sent / 1000);
  const signature = "v1," + createHmac("sha256", Uint8Array.from(Buffer.from(secret.slice(6), "base64"))).update(`evt-1.${timestamp}.${body}`).digest("base64");
  const headers = { "webhook-id": "evt-1", "webhook-timestamp": timestamp, "webhook-signature": signature };
  const at = (ms: number) => new WebhookVerifier([secret], { toleranceSeconds: 300, now: () => new Date(ms) });

  assert.equal((await at(sent).verify(body, headers)).id, "evt-1");
  await assert.rejects(at(sent + 301_000).verify(body, headers), /webhook-timestamp/);
  await assert.rejects(at(sent - 301_000).verify(body, headers), /webhook-timestamp/);
  await assert.rejects(at(sent).verify(body, { ...headers, "webhook-signature": undefined }), /webhook-signature header is missing/);
});
