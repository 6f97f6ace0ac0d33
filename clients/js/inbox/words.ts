// What the page says: labels of statuses and senders, times, and errors in words.
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  AgentActivityKind, Code, ConnectError, ConversationStatus, DeliveryStatus, ErrorInfoSchema, HandoffPriority, HandoffReason, SenderType,
} from "../src/web.js";

export const statusLabels: ReadonlyMap<ConversationStatus, string> = new Map([
  [ConversationStatus.OPEN, "Open"],
  [ConversationStatus.WAITING, "Waiting"],
  [ConversationStatus.HUMAN, "Human"],
  [ConversationStatus.CLOSED, "Closed"],
]);

/** What the thread header says about a handoff's reason and priority. */
export const handoffReasonLabels = new Map<HandoffReason, string>([
  [HandoffReason.CUSTOMER_REQUEST, "customer asked for a human"],
  [HandoffReason.LOW_CONFIDENCE, "low confidence"],
  [HandoffReason.POLICY, "policy"],
  [HandoffReason.SENTIMENT, "customer sentiment"],
  [HandoffReason.OTHER, "other"],
]);

export const priorityLabels = new Map<HandoffPriority, string>([
  [HandoffPriority.LOW, "Low"],
  [HandoffPriority.NORMAL, "Normal"],
  [HandoffPriority.HIGH, "High"],
  [HandoffPriority.URGENT, "Urgent"],
]);

/** "AI agent is typing…" and the like. */
export function activityLabel(kind: AgentActivityKind, sender: SenderType, senderId: string, me: string): string {
  const who = senderLabel(sender, senderId, me);
  switch (kind) {
    case AgentActivityKind.TYPING: return `${who} is typing…`;
    case AgentActivityKind.THINKING: return `${who} is thinking…`;
    case AgentActivityKind.SEARCHING: return `${who} is searching…`;
    default: return "";
  }
}

export function senderLabel(sender: SenderType, senderId: string, me: string): string {
  switch (sender) {
    case SenderType.CUSTOMER: return "Customer";
    case SenderType.AI_AGENT: return "AI agent";
    case SenderType.HUMAN_AGENT: return senderId === me ? "You" : "Human agent";
    case SenderType.SYSTEM: return "System";
    default: return "Unknown sender";
  }
}

/** The ticks of an outbound message's delivery status, and what they mean (the tooltip). */
export const deliveryTicks: ReadonlyMap<DeliveryStatus, [string, string]> = new Map([
  [DeliveryStatus.SENT, ["✓", "Sent"]],
  [DeliveryStatus.DELIVERED, ["✓✓", "Delivered"]],
  [DeliveryStatus.READ, ["✓✓", "Read"]],
  [DeliveryStatus.FAILED, ["!", "Not delivered"]],
]);

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** "14:05" today, "Nov 3, 14:05" before. */
export function formatTime(timestamp: Timestamp | undefined): string {
  if (!timestamp) {
    return "";
  }
  const date = timestampDate(timestamp);
  return date.toDateString() === new Date().toDateString() ? timeOfDay.format(date) : dayAndTime.format(date);
}

/** An error of a call, in words for a support lead: the service's own message where it says what to do. */
export function describeError(error: unknown): string {
  const e = ConnectError.from(error);
  switch (e.code) {
    case Code.Unauthenticated:
      return "The API key was not accepted: check it, or ask an admin for a new one.";
    case Code.PermissionDenied:
      return "This API key may not do that: replying and changing status need a key with write scope.";
    case Code.Unavailable:
      return "The service cannot be reached right now. Trying again…";
    case Code.ResourceExhausted:
      return "Too many requests at once: wait a moment and try again.";
    case Code.FailedPrecondition: {
      const reason = e.findDetails(ErrorInfoSchema)[0]?.reason;
      return reason ? `${e.rawMessage} (${reason})` : e.rawMessage;
    }
    default:
      return e.rawMessage || "Something went wrong.";
  }
}
