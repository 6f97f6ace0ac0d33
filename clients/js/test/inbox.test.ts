// The inbox page in a real headless Chromium (Debian's), against the real server: sign in, see a
// conversation appear live, see a message arrive live, hand off, reply, resume, close; then a live
// reply draft growing into a message, the agent's activity, internal notes and the handoff context; then
// unread counts, delivery ticks, edited and deleted messages.
// Screenshots go to test-output/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { chromium, type Browser } from "playwright-core";
import {
  AgentActivityKind, ConversationStatus, DeliveryStatus, HandoffPriority, HandoffReason, MessageVisibility, SenderType, createTimelyClient,
} from "../src/node.js";
import { TestServer, newId } from "./server.js";

const output = resolve(dirname(fileURLToPath(import.meta.url)), "../../../test-output");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const server = new TestServer();
let browser: Browser;

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}: run scripts/install-deps.sh`);
  await server.start();
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  await server.dispose();
});

test("the inbox shows conversations and messages live, and hands off", async () => {
  const api = createTimelyClient({ baseUrl: server.grpcUrl, apiKey: server.apiKey });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20_000);

  await page.goto(`${server.webUrl}/inbox`);
  await page.getByTestId("api-key").fill("tly_not-a-key");
  await page.getByTestId("connect").click();
  await page.getByTestId("error").getByText("The API key was not accepted").waitFor();

  await page.getByTestId("api-key").fill(server.apiKey);
  await page.getByTestId("connect").click();
  await page.getByTestId("connection").getByText("Live").waitFor();
  assert.equal(await page.getByTestId("api-key").isVisible(), false, "the sign-in form gives way to the inbox");

  // A customer writes in through the channel's inbound path: the conversation appears, live.
  const ingested = await api.ingestCustomerMessage({ channelId: newId(), contactId: newId(), agentId: newId(), content: "My parcel never arrived\nOrder 1234" });
  const row = page.locator(`[data-testid=conversation-row][data-id="${ingested.conversation!.id}"]`);
  await row.getByText("My parcel never arrived").waitFor();
  assert.equal(await row.getByTestId("status").textContent(), "Open");

  // Open it: the first message is there, and a new one arrives live.
  await row.click();
  await page.getByTestId("messages").getByText("Order 1234").waitFor();
  await api.sendMessage({ conversationId: ingested.conversation!.id, senderType: SenderType.AI_AGENT, content: "Sorry to hear that! Let me check." });
  await page.getByTestId("messages").getByText("Let me check.").waitFor();

  // Hand off to the human at this browser: the status changes, in the thread and in the list.
  await page.getByTestId("handoff").click();
  await page.getByTestId("thread-status").getByText("Human").waitFor();
  await row.getByTestId("status").getByText("Human").waitFor();
  const stored = await api.getConversation({ id: ingested.conversation!.id });
  assert.notEqual(stored.conversation?.assignedTo, "");

  // A reply as the human agent is stored and shown.
  await page.getByTestId("reply-text").fill("I'm on it.");
  await page.getByTestId("send").click();
  await page.getByTestId("messages").getByText("I'm on it.").waitFor();
  assert.equal((await api.listMessages({ conversationId: ingested.conversation!.id })).messages.at(-1)?.senderType, SenderType.HUMAN_AGENT);

  // The filter shows only what matches.
  await page.getByTestId("filter-open").click();
  await row.waitFor({ state: "detached" });
  await page.getByTestId("filter-human").click();
  await row.waitFor();

  mkdirSync(output, { recursive: true });
  await page.screenshot({ path: join(output, "inbox.png"), fullPage: true });

  // Give it back to the AI, then close it: the thread follows, and a closed thread takes no reply.
  await page.getByTestId("resume").click();
  await page.getByTestId("thread-status").getByText("Open").waitFor();
  await page.getByTestId("close").click();
  await page.getByTestId("thread-status").getByText("Closed").waitFor();
  assert.equal(await page.getByTestId("reply-text").isDisabled(), true);
  assert.equal((await api.getConversation({ id: ingested.conversation!.id })).conversation?.status, ConversationStatus.CLOSED);

  assert.deepEqual(pageErrors, []);
});

test("the inbox shows a live draft growing into a message, the agent's activity, internal notes and the handoff context", async () => {
  const api = createTimelyClient({ baseUrl: server.grpcUrl, apiKey: server.apiKey });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20_000);
  await page.goto(`${server.webUrl}/inbox`);
  await page.getByTestId("api-key").fill(server.apiKey);
  await page.getByTestId("connect").click();
  await page.getByTestId("connection").getByText("Live").waitFor();

  const { conversation } = await api.ingestCustomerMessage({ channelId: newId(), contactId: newId(), agentId: newId(), content: "Can I change my delivery address?" });
  const row = page.locator(`[data-testid=conversation-row][data-id="${conversation!.id}"]`);
  await row.click();
  await page.getByTestId("messages").getByText("delivery address").waitFor();

  // The AI agent thinks, then writes its reply piece by piece: the page shows the draft growing.
  await api.setActivity({ conversationId: conversation!.id, kind: AgentActivityKind.THINKING, ttl: { seconds: 30n } });
  await page.getByTestId("activity").getByText("AI agent is thinking…").waitFor();
  const pieces: string[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  async function* model(): AsyncGenerator<string> {
    for (;;) {
      while (pieces.length === 0 && !done) await new Promise<void>((r) => (wake = r));
      if (pieces.length === 0) return;
      yield pieces.shift()!;
    }
  }
  const push = (piece?: string) => {
    if (piece === undefined) done = true;
    else pieces.push(piece);
    wake?.();
  };
  const sending = api.sendReplyDraft(conversation!.id, model());
  push("Yes, ");
  await page.getByTestId("draft-text").getByText("Yes,").waitFor();
  push("until the parcel ");
  await page.getByTestId("draft-text").getByText("Yes, until the parcel").waitFor();
  push("ships.");
  await page.getByTestId("draft-text").getByText("Yes, until the parcel ships.").waitFor();
  push();
  const { message } = await sending;
  // The draft becomes the message; the activity ends with the AI's message.
  await page.locator(`[data-testid=message][data-sequence="${message!.sequence}"]`).getByText("Yes, until the parcel ships.").waitFor();
  await page.getByTestId("draft").waitFor({ state: "detached" });
  await page.getByTestId("activity").waitFor({ state: "hidden" });

  // An internal note is shown to the human agent, marked as such.
  const note = await api.sendMessage({
    conversationId: conversation!.id, senderType: SenderType.AI_AGENT, content: "Customer asked twice already.", visibility: MessageVisibility.INTERNAL,
  });
  const noteItem = page.locator(`[data-testid=message][data-sequence="${note.message!.sequence}"]`);
  await noteItem.getByText("Customer asked twice already.").waitFor();
  await noteItem.getByTestId("internal-note").waitFor();

  // A handoff with context: the thread header shows its priority, reason and summary.
  await api.handoffConversation({
    id: conversation!.id, assignedTo: newId(), reason: HandoffReason.CUSTOMER_REQUEST, priority: HandoffPriority.HIGH,
    summary: "Wants the address changed; order not shipped yet.",
  });
  await page.getByTestId("thread-handoff").getByText("High priority").waitFor();
  await page.getByTestId("thread-handoff").getByText("order not shipped yet").waitFor();
  mkdirSync(output, { recursive: true });
  await page.screenshot({ path: join(output, "inbox-draft.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test("the inbox shows unread counts, delivery ticks, and edited and deleted messages", async () => {
  const api = createTimelyClient({ baseUrl: server.grpcUrl, apiKey: server.apiKey });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20_000);
  await page.goto(`${server.webUrl}/inbox`);
  await page.getByTestId("api-key").fill(server.apiKey);
  await page.getByTestId("connect").click();
  await page.getByTestId("connection").getByText("Live").waitFor();

  // Unread for the human at this browser: counted from their read horizon, live.
  const { conversation, message: question } = await api.ingestCustomerMessage({
    channelId: newId(), contactId: newId(), agentId: newId(), content: "Do you ship to Norway?",
  });
  const row = page.locator(`[data-testid=conversation-row][data-id="${conversation!.id}"]`);
  await row.getByTestId("unread").getByText("1").waitFor();
  const { message: answer } = await api.sendMessage({ conversationId: conversation!.id, senderType: SenderType.AI_AGENT, content: "No, sorry." });
  await row.getByTestId("unread").getByText("2").waitFor();

  // Opening it reads it.
  await row.click();
  await page.getByTestId("messages").getByText("No, sorry.").waitFor();
  await row.getByTestId("unread").waitFor({ state: "detached" });

  // Ticks follow the channel's reports; an edit and a deletion show in place, with their markers.
  const reply = page.locator(`[data-testid=message][data-sequence="${answer!.sequence}"]`);
  await api.updateDeliveryStatus({ conversationId: conversation!.id, messageId: answer!.id, status: DeliveryStatus.DELIVERED });
  await reply.locator("[data-testid=ticks][title=Delivered]").waitFor();
  await api.updateDeliveryStatus({ conversationId: conversation!.id, messageId: answer!.id, status: DeliveryStatus.READ });
  await reply.locator("[data-testid=ticks][title=Read]").waitFor();
  await api.editMessage({ conversationId: conversation!.id, messageId: answer!.id, content: "Yes, in 3 days.", editorType: SenderType.AI_AGENT });
  await reply.getByText("Yes, in 3 days.").waitFor();
  await reply.getByTestId("edited").waitFor();
  await api.redactMessage({ conversationId: conversation!.id, messageId: question!.id });
  const first = page.locator(`[data-testid=message][data-sequence="${question!.sequence}"]`);
  await first.getByTestId("redacted").waitFor();
  assert.equal(await first.getByText("Norway").count(), 0);

  mkdirSync(output, { recursive: true });
  await page.screenshot({ path: join(output, "inbox-receipts.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
