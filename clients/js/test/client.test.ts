// Every RPC over both transports (gRPC over HTTP/2 and grpc-web over HTTP/1.1), request ids, errors.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  BadRequestSchema, Code, ConnectError, type ConversationEvent, ConversationEventType, ConversationStatus, DeliveryStatus, ErrorInfoSchema,
  ReadParticipantType, SenderType, createTimelyClient,
} from "../src/node.js";
import { TestServer, newId } from "./server.js";

const server = new TestServer();
before(() => server.start());
after(() => server.dispose());

for (const transport of ["grpc", "grpc-web"] as const) {
  describe(`over ${transport}`, () => {
    const client = () => createTimelyClient({ baseUrl: transport === "grpc" ? server.grpcUrl : server.webUrl, apiKey: server.apiKey, transport });

    test("every RPC works", async () => {
      const timely = client();
      const agentId = newId();
      const { conversation } = await timely.createConversation({ agentId, channelId: newId(), contactId: newId(), tags: ["new"] });
      assert.ok(conversation);
      assert.equal((await timely.getConversation({ id: conversation.id })).conversation?.id, conversation.id);
      assert.equal((await timely.listConversations({ agentId })).conversations.length, 1);
      const updated = await timely.updateConversation({ conversation: { id: conversation.id, subject: "Billing" }, updateMask: { paths: ["subject"] } });
      assert.equal(updated.conversation?.subject, "Billing");
      const sent = await timely.sendMessage({ conversationId: conversation.id, senderType: SenderType.AI_AGENT, content: "Hi!" });
      assert.equal(sent.message?.sequence, 1n);
      assert.equal((await timely.listMessages({ conversationId: conversation.id })).messages.length, 1);
      assert.equal((await timely.handoffConversation({ id: conversation.id, assignedTo: newId() })).conversation?.status, ConversationStatus.HUMAN);
      assert.equal((await timely.resumeConversation({ id: conversation.id })).conversation?.status, ConversationStatus.OPEN);
      const ingested = await timely.ingestCustomerMessage({ channelId: conversation.channelId, contactId: conversation.contactId, agentId, content: "refund?" });
      assert.equal(ingested.conversation?.id, conversation.id);
      const { hits } = await timely.searchMessages({ query: "refund*", agentId });
      assert.deepEqual(hits.map((h) => [h.conversationId, h.sequence]), [[conversation.id, 2n]]);
      assert.equal((await timely.searchConversations({ query: "billing", agentId })).conversations[0]?.id, conversation.id);
      assert.equal((await timely.closeConversation({ id: conversation.id })).conversation?.status, ConversationStatus.CLOSED);

      const sequences: bigint[] = [];
      for await (const message of timely.streamMessages(conversation.id)) {
        sequences.push(message.sequence);
      }
      assert.deepEqual(sequences, [1n, 2n]); // a closed conversation replays and ends

      // Subscribed (its headers arrived), the watch sees a conversation created after that.
      const abort = new AbortController();
      let onSubscribed = () => {};
      const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
      const events = timely.watchConversations({ agentId }, { signal: abort.signal, onSubscribed });
      const first = events.next();
      await subscribed;
      const created = await timely.createConversation({ agentId, channelId: newId(), contactId: newId() });
      const event = (await first).value as ConversationEvent;
      assert.equal(event.type, ConversationEventType.CREATED);
      assert.equal(event.conversation?.id, created.conversation?.id);
      abort.abort();
    });

    test("receipts: delivery status, read horizons, edits and redactions, and the stream's update items", async () => {
      const timely = client();
      const human = newId();
      const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
      assert.ok(conversation);
      const { message } = await timely.sendMessage({ conversationId: conversation.id, senderType: SenderType.AI_AGENT, content: "We open at 8." });
      assert.ok(message);
      let onSubscribed = () => {};
      const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
      const items = timely.streamMessagesWithUpdates(conversation.id, {}, { onSubscribed });
      const first = items.next();
      await subscribed;

      const report = await timely.updateDeliveryStatus({ conversationId: conversation.id, messageId: message.id, externalId: "wamid.1", status: DeliveryStatus.DELIVERED });
      assert.equal(report.changed, true);
      const late = await timely.updateDeliveryStatus({ conversationId: conversation.id, externalId: "wamid.1", status: DeliveryStatus.SENT });
      assert.equal(late.changed, false);
      const edited = await timely.editMessage({
        conversationId: conversation.id, messageId: message.id, content: "We open at 9.", revision: 1n, editorType: SenderType.HUMAN_AGENT, editorId: human,
      });
      assert.equal(edited.message?.revision, 2n);
      const read = await timely.markRead({ conversationId: conversation.id, participantType: ReadParticipantType.HUMAN_AGENT, participantId: human, upToSequence: 1n });
      assert.equal(read.conversation?.readHorizons[0]?.readSequence, 1n);
      const { conversations } = await timely.listConversations({ agentId: conversation.agentId, unreadFor: newId() });
      assert.equal(conversations[0]?.unreadCount, 1n);
      const redacted = await timely.redactMessage({ conversationId: conversation.id, messageId: message.id });
      assert.equal(redacted.message?.redacted, true);
      assert.equal((await timely.getMessage({ conversationId: conversation.id, messageId: message.id })).message?.content, "");
      assert.deepEqual((await timely.listMessageRevisions({ conversationId: conversation.id, messageId: message.id })).revisions.map((r) => r.content), ["", ""]);
      await timely.closeConversation({ id: conversation.id });

      const seen = [(await first).value];
      for await (const item of items) {
        seen.push(item);
      }
      assert.deepEqual(seen.map((i) => i?.message ? `message ${i.message.sequence}` : `update ${ConversationEventType[i!.update!.type]}`), [
        "message 1", "update MESSAGE_STATUS_CHANGED", "update MESSAGE_EDITED", "update READ_HORIZON_CHANGED", "update MESSAGE_REDACTED",
      ]);
    });

    test("a retried write with the same request id is stored once", async () => {
      const timely = client();
      const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
      const requestId = newId();
      const request = { conversationId: conversation!.id, senderType: SenderType.CUSTOMER, content: "refund please", requestId };
      const first = await timely.sendMessage(request);
      const again = await timely.sendMessage(request);
      assert.equal(again.message?.id, first.message?.id);
      assert.equal((await timely.listMessages({ conversationId: conversation!.id })).messages.length, 1);
      // Without one, the client writes a fresh one into the request object: sending that object again writes once
      // (the rule of all three SDKs), a new object is a new message.
      const unnamed: { conversationId: string; senderType: SenderType; content: string; requestId?: string } =
        { conversationId: conversation!.id, senderType: SenderType.CUSTOMER, content: "a" };
      const sent = await timely.sendMessage(unnamed);
      assert.match(unnamed.requestId ?? "", /^[0-9a-f-]{36}$/);
      assert.equal((await timely.sendMessage(unnamed)).message?.id, sent.message?.id);
      await timely.sendMessage({ conversationId: conversation!.id, senderType: SenderType.CUSTOMER, content: "a" });
      assert.equal((await timely.listMessages({ conversationId: conversation!.id })).messages.length, 3);
    });

    test("unary calls have a default deadline, streams none", async () => {
      const timely = createTimelyClient({ baseUrl: transport === "grpc" ? server.grpcUrl : server.webUrl, apiKey: server.apiKey, transport, defaultTimeoutMs: 300 });
      const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
      const abort = new AbortController();
      const messages = timely.streamMessages(conversation!.id, 0n, { signal: abort.signal });
      const first = messages.next();
      await new Promise((r) => setTimeout(r, 1000)); // past the unary deadline
      await timely.sendMessage({ conversationId: conversation!.id, senderType: SenderType.CUSTOMER, content: "still there?" });
      assert.equal((await first).value?.content, "still there?");
      abort.abort();
    });

    test("errors are ConnectErrors with the code and the google.rpc details", async () => {
      const timely = client();
      const invalid = await timely.createConversation({ agentId: "nope", channelId: newId(), contactId: newId() }).catch((e) => e);
      assert.ok(invalid instanceof ConnectError);
      assert.equal(invalid.code, Code.InvalidArgument);
      assert.deepEqual(invalid.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field), ["agent_id"]);

      const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
      const refused = await timely.resumeConversation({ id: conversation!.id }).catch((e) => e);
      assert.equal(refused.code, Code.FailedPrecondition);
      assert.equal(refused.findDetails(ErrorInfoSchema)[0]?.reason, "TRANSITION_NOT_ALLOWED");

      const missing = await timely.getConversation({ id: newId() }).catch((e) => e);
      assert.equal(missing.code, Code.NotFound);

      const anonymous = createTimelyClient({ baseUrl: transport === "grpc" ? server.grpcUrl : server.webUrl, apiKey: "tly_wrong", transport });
      const unauthenticated = await anonymous.listConversations({}).catch((e) => e);
      assert.equal(unauthenticated.code, Code.Unauthenticated);
    });
  });
}
