// Reply drafts from an async iterable of chunks, and the live stream of drafts and activity, against the real server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AgentActivityKind, MessageVisibility, ReplyDraftState, SenderType, applyDraft, createTimelyClient, type Message,
} from "../src/node.js";
import { TestServer, newId } from "./server.js";

const server = new TestServer();
before(() => server.start());
after(() => server.dispose());

async function* model(tokens: string[]): AsyncGenerator<string> {
  for (const token of tokens) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    yield token;
  }
}

test("a draft from an async iterable grows live and becomes one message", async () => {
  const timely = createTimelyClient({ baseUrl: server.grpcUrl, apiKey: server.apiKey });
  const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
  assert.ok(conversation);
  const abort = new AbortController();
  let subscribed!: () => void;
  const live = new Promise<void>((resolve) => (subscribed = resolve));
  const seen: { draft: string; message?: Message; activity: AgentActivityKind[]; draftsBeforeMessage: number } = { draft: "", activity: [], draftsBeforeMessage: 0 };
  const reading = (async () => {
    for await (const item of timely.streamLive(conversation.id, 0n, { signal: abort.signal, onSubscribed: subscribed })) {
      if (item.replyDraft) {
        seen.draft = item.replyDraft.state === ReplyDraftState.COMMITTED ? seen.draft : applyDraft(seen.draft, item.replyDraft);
        if (!seen.message && item.replyDraft.state === ReplyDraftState.DELTA) seen.draftsBeforeMessage++;
        if (item.replyDraft.state === ReplyDraftState.COMMITTED) return;
      }
      if (item.activity) seen.activity.push(item.activity.kind);
      if (item.message) seen.message = item.message;
    }
  })();
  await live;
  await timely.setActivity({ conversationId: conversation.id, kind: AgentActivityKind.THINKING });

  const tokens = ["Your ", "parcel ", "ships ", "today."];
  const { message } = await timely.sendReplyDraft(conversation.id, model(tokens));
  await reading;
  abort.abort();

  assert.equal(message?.content, tokens.join(""));
  assert.equal(message?.sequence, 1n);
  assert.equal(seen.draft, tokens.join(""));
  assert.equal(seen.draftsBeforeMessage, tokens.length);
  assert.equal(seen.message?.id, message?.id);
  assert.equal(seen.activity[0], AgentActivityKind.THINKING);

  // The same start (so the same request id) again: written once.
  const start = { requestId: newId() };
  const once = await timely.sendReplyDraft(conversation.id, ["again"], start);
  const twice = await timely.sendReplyDraft(conversation.id, ["again"], start);
  assert.equal(once.message?.id, twice.message?.id);
  assert.equal(twice.conversation?.lastSequence, 2n);
});

test("internal notes stay out of a public live stream", async () => {
  const timely = createTimelyClient({ baseUrl: server.grpcUrl, apiKey: server.apiKey });
  const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
  assert.ok(conversation);
  await timely.sendMessage({ conversationId: conversation.id, senderType: SenderType.AI_AGENT, content: "why", visibility: MessageVisibility.INTERNAL });
  await timely.sendMessage({ conversationId: conversation.id, senderType: SenderType.AI_AGENT, content: "hello" });
  await timely.closeConversation({ id: conversation.id });
  const contents: string[] = [];
  for await (const item of timely.streamLive(conversation.id, 0n, { visibility: MessageVisibility.PUBLIC })) {
    if (item.message) contents.push(item.message.content);
  }
  assert.deepEqual(contents, ["hello"]);
});
