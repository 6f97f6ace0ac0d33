// The page's pieces as DOM nodes. Text goes in through textContent only: subjects and messages come
// from customers and must never be read as HTML.
import {
  DeliveryStatus, MessageType, MessageVisibility, ReadParticipantType, SenderType, type Conversation, type ConversationStatus, type Message,
} from "../src/web.js";
import { deliveryTicks, formatTime, handoffReasonLabels, priorityLabels, senderLabel, statusLabels } from "./words.js";

type Child = Node | string | false | undefined;

export function el(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child) {
      node.append(child);
    }
  }
  return node;
}

export function statusBadge(status: ConversationStatus): HTMLElement {
  const label = statusLabels.get(status) ?? "Unknown";
  return el("span", { class: `badge badge-${label.toLowerCase()}`, "data-testid": "status" }, label);
}

/** The messages of a conversation that human agent `me` has not read: from their read horizon, or the list's count
 * when the conversation no longer lists it (only the most recent readers are listed). */
export function unreadBy(conversation: Conversation, me: string): bigint {
  const mine = conversation.readHorizons.find((h) => h.participantType === ReadParticipantType.HUMAN_AGENT && h.participantId === me);
  return mine ? conversation.lastSequence - mine.readSequence : conversation.unreadCount || conversation.lastSequence;
}

export function conversationRow(conversation: Conversation, selected: boolean, me: string): HTMLElement {
  const unread = unreadBy(conversation, me);
  return el("li", { "data-id": conversation.id, "data-testid": "conversation-row", "aria-selected": String(selected), tabindex: "0" },
    el("div", { class: "row-top" },
      statusBadge(conversation.status),
      el("span", { class: "row-subject" }, conversation.subject || "(no subject)"),
      unread > 0n && el("span", { class: "unread", "data-testid": "unread", title: `${unread} unread` }, unread.toString()),
      el("time", { class: "row-time" }, formatTime(conversation.lastMessageAt ?? conversation.createdAt))),
    conversation.tags.length > 0 && el("div", { class: "tags" }, ...conversation.tags.map((tag) => el("span", { class: "tag" }, tag))));
}

export function messageItem(message: Message, me: string): HTMLElement {
  const side =
    message.senderType === SenderType.SYSTEM ? "from-system"
      : message.senderType === SenderType.CUSTOMER ? "from-customer"
        : "from-us";
  const internal = message.visibility === MessageVisibility.INTERNAL;
  const ticks = deliveryTicks.get(message.deliveryStatus);
  const classes = `message ${side}${internal ? " internal" : ""}${message.redacted ? " redacted" : ""}`;
  return el("li", { class: classes, "data-testid": "message", "data-sequence": message.sequence.toString() },
    el("div", { class: "message-head" },
      el("span", {}, senderLabel(message.senderType, message.senderId, me)),
      internal && el("span", { class: "internal-label", "data-testid": "internal-note" }, "Internal note"),
      el("time", {}, formatTime(message.createdAt)),
      message.revision > 1n && !message.redacted && el("span", { class: "marker", "data-testid": "edited", title: `Edited ${formatTime(message.editedAt)}` }, "edited"),
      ticks && el("span", {
        class: `ticks ticks-${DeliveryStatus[message.deliveryStatus].toLowerCase()}`, "data-testid": "ticks",
        title: message.deliveryError ? `${ticks[1]}: ${message.deliveryError}` : ticks[1],
      }, ticks[0])),
    message.redacted
      ? el("div", { class: "message-body marker", "data-testid": "redacted" }, "This message was deleted.")
      : message.content && el("div", { class: "message-body" }, message.content),
    !message.redacted && message.messageType !== MessageType.TEXT && message.messageType !== MessageType.UNSPECIFIED && media(message));
}

/** A reply the AI agent is still writing: its text so far. */
export function draftItem(text: string): HTMLElement {
  return el("li", { class: "message from-us draft", "data-testid": "draft" },
    el("div", { class: "message-head" }, el("span", {}, "AI agent (writing…)")),
    el("div", { class: "message-body", "data-testid": "draft-text" }, text));
}

/** The context of the latest handoff, for the thread header: priority, reason, the AI's summary. */
export function handoffText(conversation: Conversation): Node[] {
  const handoff = conversation.handoff;
  if (!handoff) {
    return [];
  }
  const priority = priorityLabels.get(handoff.priority) ?? "Normal";
  const reason = handoffReasonLabels.get(handoff.reason);
  const rest = `${reason ? ` · ${reason}` : ""}${handoff.summary ? ` — ${handoff.summary}` : ""}`;
  return [el("strong", {}, `${priority} priority`), document.createTextNode(rest)];
}

/** A link to an attachment; only http(s) addresses become links. */
function media(message: Message): HTMLElement {
  const label = `Attachment (${message.mediaType || "file"})`;
  return /^https?:\/\//i.test(message.mediaUrl)
    ? el("a", { href: message.mediaUrl, target: "_blank", rel: "noopener noreferrer" }, label)
    : el("span", {}, label);
}
