import { SenderType, createTimelyClient } from "@timely/client";

// TIMELY_API_KEY: a key with write scope, e.g. the development key in src/Timely.Server/data/dev-admin-key.
const timely = createTimelyClient({ baseUrl: "http://localhost:50051", apiKey: process.env.TIMELY_API_KEY! });
const ids = { agentId: crypto.randomUUID(), channelId: crypto.randomUUID(), contactId: crypto.randomUUID() };
const { conversation } = await timely.createConversation(ids);
await timely.sendMessage({ conversationId: conversation!.id, senderType: SenderType.AI_AGENT, content: "Hi! How can I help?" });
for await (const message of timely.streamMessages(conversation!.id)) {   // replays, then follows live; resumes after a disconnect
  console.log(`${message.sequence}: ${message.content}`);
}
