// Subscribers through the JS SDK for the rolling-restart test (tests/Timely.Server.Tests/Deployment):
// StreamMessages of each conversation given and WatchConversations from a cursor, each resuming by itself
// after every break; prints "messages CONVERSATION_ID SEQUENCE" or "watch CONVERSATION_ID SEQUENCE" for
// each message received.
//   TIMELY_API_KEY=... tsx tests/deploy/follow.mts BASE_URL AFTER_CURSOR CONVERSATION_ID...
import { ConversationEventType, createTimelyClient } from "../../clients/js/src/node.js";

const [baseUrl, afterCursor, ...conversationIds] = process.argv.slice(2);
const timely = createTimelyClient({ baseUrl, apiKey: process.env.TIMELY_API_KEY!, maxReconnectDelayMs: 1000 });

async function messages(conversationId: string) {
  for await (const message of timely.streamMessages(conversationId)) console.log(`messages ${conversationId} ${message.sequence}`);
}

async function watch() {
  for await (const event of timely.watchConversations({ afterCursor })) {
    if (event.type === ConversationEventType.MESSAGE_ADDED) console.log(`watch ${event.message!.conversationId} ${event.message!.sequence}`);
  }
}

await Promise.all([watch(), ...conversationIds.map(messages)]);
