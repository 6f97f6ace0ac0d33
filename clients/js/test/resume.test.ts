// Streams survive the server being killed and restarted: every item arrives exactly once, in order.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Code, ConnectError, SenderType, createTimelyClient, type TimelyClient } from "../src/node.js";
import { TestServer, newId } from "./server.js";

const server = new TestServer();
after(() => server.dispose());

/** Reads `count` items of a stream while `write(1..half)`, a server restart and `write(half+1..count)` happen. */
async function readAcrossRestart<T>(
  open: (timely: TimelyClient, signal: AbortSignal, onSubscribed: () => void) => AsyncGenerator<T>,
  write: (timely: TimelyClient, i: number) => Promise<unknown>,
  transport: "grpc" | "grpc-web",
  count: number,
): Promise<T[]> {
  await server.start();
  const timely = createTimelyClient({ baseUrl: transport === "grpc" ? server.grpcUrl : server.webUrl, apiKey: server.apiKey, transport, maxReconnectDelayMs: 500 });
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(), 60_000);
  let onSubscribed = () => {};
  const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
  const received: T[] = [];
  const reading = (async () => {
    for await (const item of open(timely, abort.signal, onSubscribed)) {
      received.push(item);
      if (received.length === count) {
        return;
      }
    }
  })();
  reading.catch(() => {}); // awaited below; this keeps a failure during the restart from going unhandled
  try {
    await subscribed;
    for (let i = 1; i <= count; i++) {
      if (i === count / 2 + 1) {
        await server.restart();
      }
      await write(timely, i);
    }
    await reading;
  } finally {
    clearTimeout(timeout);
    await server.kill();
  }
  return received;
}

for (const transport of ["grpc", "grpc-web"] as const) {
  test(`StreamMessages over ${transport} resumes after the server restarts`, async () => {
    await server.start();
    const setup = createTimelyClient({ baseUrl: server.grpcUrl, apiKey: server.apiKey });
    const { conversation } = await setup.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
    const id = conversation!.id;
    const messages = await readAcrossRestart(
      (timely, signal, onSubscribed) => timely.streamMessages(id, 0n, { signal, onSubscribed }),
      (timely, i) => timely.sendMessage({ conversationId: id, senderType: SenderType.CUSTOMER, content: `m${i}` }),
      transport, 40);
    assert.deepEqual(messages.map((m) => m.sequence), Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
    assert.deepEqual(messages.map((m) => m.content), Array.from({ length: 40 }, (_, i) => `m${i + 1}`));
  });

  test(`WatchConversations over ${transport} resumes from its cursor after the server restarts`, async () => {
    const agentId = newId();
    const created: string[] = [];
    const events = await readAcrossRestart(
      (timely, signal, onSubscribed) => timely.watchConversations({ agentId }, { signal, onSubscribed }),
      async (timely, i) => created.push((await timely.createConversation({ agentId, channelId: newId(), contactId: newId(), subject: `c${i}` })).conversation!.id),
      transport, 20);
    assert.deepEqual(events.map((e) => e.conversation?.id), created);
  });
}

/** A stream resumes after a stall (RESOURCE_EXHAUSTED with the reason SUBSCRIBER_STALLED, in the SDK scenarios),
 * but not after any RESOURCE_EXHAUSTED: a stream refused for the key's quota of streams is thrown. */
test("a stream over the quota of streams is thrown, not resumed", async () => {
  const capped = new TestServer({ Limits__MaxStreamsPerKey: "1" });
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(), 60_000);
  try {
    await capped.start();
    const holder = createTimelyClient({ baseUrl: capped.grpcUrl, apiKey: capped.apiKey });
    const { conversation } = await holder.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
    let onSubscribed = () => {};
    const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
    const holding = holder.streamMessages(conversation!.id, 0n, { signal: abort.signal, onSubscribed }).next();   // the key's one stream
    holding.catch(() => {});
    await subscribed;
    for (const transport of ["grpc", "grpc-web"] as const) {
      const timely = createTimelyClient({ baseUrl: transport === "grpc" ? capped.grpcUrl : capped.webUrl, apiKey: capped.apiKey, transport });
      await assert.rejects(
        timely.streamMessages(conversation!.id, 0n, { signal: abort.signal }).next(),
        (e: unknown) => ConnectError.from(e).code === Code.ResourceExhausted && !abort.signal.aborted, transport);
    }
  } finally {
    clearTimeout(timeout);
    abort.abort();
    await capped.dispose();
  }
});
