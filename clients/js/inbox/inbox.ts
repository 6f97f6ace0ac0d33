// One signed-in inbox: the conversation list kept current by WatchConversations, and the open
// conversation's messages kept current by StreamMessages.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  AgentActivityKind, Code, ConnectError, ConversationEventType, ConversationOrder, ConversationStatus, ReadParticipantType, ReplyDraftState, SenderType,
  applyDraft, type AgentActivity, type Conversation, type ConversationEvent, type Message, type ReplyDraft, type TimelyClient,
} from "../src/web.js";
import { conversationRow, draftItem, el, handoffText, messageItem, statusBadge, unreadBy } from "./render.js";
import { activityLabel, describeError, formatTime, statusLabels } from "./words.js";

const pageSize = 50;
const filters: [string, ConversationStatus[]][] = [["All", []], ...[...statusLabels].map(([s, label]) => [label, [s]] as [string, ConversationStatus[]])];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export class Inbox {
  private readonly stopped = new AbortController();
  private readonly conversations = new Map<string, Conversation>();
  private statuses: ConversationStatus[] = [];
  private nextPageToken = "";
  /** Events that arrive while the list is being read; applied after it, so none is lost. */
  private held: ConversationEvent[] | undefined;
  private listings = 0;
  private selected: { id: string; stop: AbortController } | undefined;
  /** The read horizon to send for the open conversation, gathered over the messages shown meanwhile. */
  private reading: { conversationId: string; upToSequence: bigint } | undefined;

  constructor(
    private readonly client: TimelyClient,
    private readonly me: string,
    private readonly showError: (message: string | undefined) => void,
    private readonly onKeyRefused: (message: string) => void,
  ) {}

  start(): void {
    this.renderFilters();
    $("more").onclick = () => void this.loadMore();
    $("handoff").onclick = () => void this.act((id) => this.client.handoffConversation({ id, assignedTo: this.me }));
    $("resume").onclick = () => void this.act((id) => this.client.resumeConversation({ id }));
    $("close").onclick = () => void this.act((id) => this.client.closeConversation({ id }));
    $<HTMLFormElement>("reply").onsubmit = (e) => {
      e.preventDefault();
      void this.reply();
    };
    void this.follow();
  }

  stop(): void {
    this.stopped.abort();
    this.selected?.stop.abort();
  }

  /** Watches every change in the workspace; each (re)subscription lists again, so no change falls in a gap. */
  private async follow(): Promise<void> {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      try {
        const onSubscribed = () => {
          $("connection").textContent = "Live";
          void this.relist();
        };
        for await (const event of this.client.watchConversations({}, { signal, onSubscribed })) {
          if (this.held) {
            this.held.push(event);
          } else {
            this.apply(event);
            this.render();
          }
        }
      } catch (error) {
        if (signal.aborted) {
          return;
        }
        if (this.refusedKey(error)) {
          return;
        }
        $("connection").textContent = "Reconnecting…";
        this.showError(describeError(error));
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  }

  /** Lists again (after a (re)subscription or a filter change). Only the newest listing counts, and
   * the events that arrive while it runs are applied after it. */
  private async relist(): Promise<void> {
    const generation = ++this.listings;
    this.held ??= [];
    try {
      const page = await this.client.listConversations(
        { statuses: this.statuses, pageSize, orderBy: ConversationOrder.LAST_MESSAGE_AT_DESC, unreadFor: this.me }, { signal: this.stopped.signal });
      if (generation !== this.listings) {
        return;
      }
      this.conversations.clear();
      page.conversations.forEach((c) => this.conversations.set(c.id, c));
      this.nextPageToken = page.nextPageToken;
      this.showError(undefined);
    } catch (error) {
      if (generation === this.listings && !this.refusedKey(error)) {
        this.showError(describeError(error));
      }
    } finally {
      if (generation === this.listings) {
        const held = this.held;
        this.held = undefined;
        (held ?? []).forEach((event) => this.apply(event));
        this.render();
      }
    }
  }

  private async loadMore(): Promise<void> {
    try {
      const page = await this.client.listConversations(
        { statuses: this.statuses, pageSize, pageToken: this.nextPageToken, orderBy: ConversationOrder.LAST_MESSAGE_AT_DESC, unreadFor: this.me });
      page.conversations.forEach((c) => this.conversations.has(c.id) || this.conversations.set(c.id, c));
      this.nextPageToken = page.nextPageToken;
      this.render();
    } catch (error) {
      this.showError(describeError(error));
    }
  }

  /** Takes the conversation as the event left it (an erased one leaves the list); the caller renders. */
  private apply(event: ConversationEvent): void {
    if (event.type === ConversationEventType.ERASED && event.conversation) {
      this.conversations.delete(event.conversation.id);
    } else if (event.conversation) {
      this.conversations.set(event.conversation.id, event.conversation);
    }
  }

  private matches(conversation: Conversation): boolean {
    return this.statuses.length === 0 || this.statuses.includes(conversation.status);
  }

  private renderFilters(): void {
    const buttons = filters.map(([label, statuses]) => {
      const button = el("button", { type: "button", "aria-pressed": String(sameStatuses(statuses, this.statuses)), "data-testid": `filter-${label.toLowerCase()}` }, label);
      button.onclick = () => {
        this.statuses = statuses;
        this.renderFilters();
        void this.relist();
      };
      return button;
    });
    $("filters").replaceChildren(...buttons);
  }

  private render(): void {
    const visible = [...this.conversations.values()].filter((c) => this.matches(c)).sort(byActivity);
    $("conversations").replaceChildren(...visible.map((c) => {
      const row = conversationRow(c, c.id === this.selected?.id, this.me);
      row.onclick = () => void this.open(c.id);
      row.onkeydown = (e) => e.key === "Enter" && void this.open(c.id);
      return row;
    }));
    $("empty").hidden = visible.length > 0;
    $("more").hidden = this.nextPageToken === "";
    this.renderThreadHead();
  }

  private renderThreadHead(): void {
    const conversation = this.selected && this.conversations.get(this.selected.id);
    $("no-selection").hidden = conversation !== undefined;
    $("selection").hidden = conversation === undefined;
    if (!conversation) {
      return;
    }
    $("thread-subject").textContent = conversation.subject || "(no subject)";
    $("thread-status").replaceChildren(statusBadge(conversation.status));
    const assigned = conversation.assignedTo === "" ? "" : conversation.assignedTo === this.me ? " · assigned to you" : " · assigned to another agent";
    $("thread-meta").textContent = `Contact ${conversation.contactId.slice(0, 8)} · started ${formatTime(conversation.createdAt)}${assigned}`;
    const handoff = handoffText(conversation);
    $("thread-handoff").replaceChildren(...handoff);
    $("thread-handoff").hidden = handoff.length === 0;
    const status = conversation.status;
    $<HTMLButtonElement>("handoff").disabled = status !== ConversationStatus.OPEN && status !== ConversationStatus.WAITING;
    $<HTMLButtonElement>("resume").disabled = status !== ConversationStatus.HUMAN;
    $<HTMLButtonElement>("close").disabled = status === ConversationStatus.CLOSED;
    $<HTMLTextAreaElement>("reply-text").disabled = status === ConversationStatus.CLOSED;
  }

  /** Shows one conversation and follows its messages, and their edits, redactions and delivery ticks, until
   * another is opened; what it shows counts as read by this human agent. */
  private async open(id: string): Promise<void> {
    if (this.selected?.id === id) {
      return;
    }
    this.selected?.stop.abort();
    const selected = { id, stop: new AbortController() };
    this.selected = selected;
    $("messages").replaceChildren();
    this.showActivity(undefined);
    this.render();
    const draft = { text: "", node: undefined as HTMLElement | undefined };
    try {
      // Everything, internal notes included (the human agent sees all), the live drafts and activity, and the
      // updates (delivery ticks, edits, redactions) that replace a message in place.
      for await (const item of this.client.streamLive(id, 0n, { signal: selected.stop.signal, includeUpdates: true })) {
        const list = $("messages");
        if (item.message) {
          if (item.message.senderType === SenderType.AI_AGENT) {
            draft.node?.remove();
            draft.node = undefined;
          }
          list.insertBefore(messageItem(item.message, this.me), draft.node ?? null);
          this.markRead(id, item.message);
        } else if (item.update?.message) {
          list.querySelector(`[data-sequence="${item.update.message.sequence}"]`)?.replaceWith(messageItem(item.update.message, this.me));
        } else if (item.replyDraft) {
          this.showDraft(draft, item.replyDraft);
        } else if (item.activity) {
          this.showActivity(item.activity);
        }
        list.scrollTop = list.scrollHeight;
      }
    } catch (error) {
      if (!selected.stop.signal.aborted && !this.refusedKey(error)) {
        this.showError(describeError(error));
      }
    }
  }

  /** A reply draft as it grows: shown after the messages until it becomes a message or is abandoned. */
  private showDraft(draft: { text: string; node: HTMLElement | undefined }, update: ReplyDraft): void {
    if (update.state === ReplyDraftState.COMMITTED || update.state === ReplyDraftState.ABANDONED) {
      draft.node?.remove();
      draft.node = undefined;
      draft.text = "";
      return;
    }
    draft.text = applyDraft(draft.text, update);
    const node = draftItem(draft.text);
    if (draft.node) {
      draft.node.replaceWith(node);
    } else {
      $("messages").append(node);
    }
    draft.node = node;
  }

  private activityTimer: ReturnType<typeof setTimeout> | undefined;

  /** "AI agent is typing…", until NONE arrives or it expires (also here, should NONE be missed). */
  private showActivity(activity: AgentActivity | undefined): void {
    clearTimeout(this.activityTimer);
    const line = $("activity");
    if (!activity || activity.kind === AgentActivityKind.NONE) {
      line.hidden = true;
      return;
    }
    line.textContent = activityLabel(activity.kind, activity.senderType, activity.senderId, this.me);
    line.hidden = false;
    if (activity.expiresAt) {
      const left = Number(activity.expiresAt.seconds) * 1000 + activity.expiresAt.nanos / 1e6 - Date.now();
      this.activityTimer = setTimeout(() => (line.hidden = true), Math.max(0, left) + 1000);
    }
  }

  /** Moves this human agent's read horizon to the newest message shown, once the messages that arrive together
   * are shown (one call for a whole replay); the watch then brings the new unread count. A read-only key cannot
   * mark: its count stays. */
  private markRead(conversationId: string, message: Message): void {
    const pending = this.reading;
    this.reading = { conversationId, upToSequence: message.sequence };
    if (pending) {
      return;
    }
    setTimeout(() => {
      const read = this.reading!;
      this.reading = undefined;
      const conversation = this.conversations.get(read.conversationId);
      if (conversation && unreadBy(conversation, this.me) === 0n && conversation.lastSequence <= read.upToSequence) {
        return;
      }
      this.client.markRead({ ...read, participantType: ReadParticipantType.HUMAN_AGENT, participantId: this.me }).catch((error: unknown) => {
        if (ConnectError.from(error).code !== Code.PermissionDenied && !this.refusedKey(error)) {
          this.showError(describeError(error));
        }
      });
    }, 200);
  }

  /** Runs one change on the open conversation and shows its result at once (the watch confirms it). */
  private async act(change: (id: string) => Promise<{ conversation?: Conversation }>): Promise<void> {
    const id = this.selected?.id;
    if (!id) {
      return;
    }
    const buttons = document.querySelectorAll<HTMLButtonElement>(".actions button, .reply button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      const { conversation } = await change(id);
      this.showError(undefined);
      if (conversation) {
        this.conversations.set(conversation.id, conversation);
        this.render();
      }
    } catch (error) {
      this.refusedKey(error) || this.showError(describeError(error));
    } finally {
      document.querySelector<HTMLButtonElement>(".reply button")!.disabled = false;
      this.renderThreadHead();
    }
  }

  private async reply(): Promise<void> {
    const text = $<HTMLTextAreaElement>("reply-text");
    const content = text.value.trim();
    if (content === "") {
      return;
    }
    await this.act(async (conversationId) => {
      const sent = await this.client.sendMessage({ conversationId, senderType: SenderType.HUMAN_AGENT, senderId: this.me, content });
      text.value = "";
      return sent;
    });
  }

  /** A refused key ends the session: back to sign-in, saying why. */
  private refusedKey(error: unknown): boolean {
    if (ConnectError.from(error).code !== Code.Unauthenticated) {
      return false;
    }
    this.onKeyRefused(describeError(error));
    return true;
  }
}

function sameStatuses(a: ConversationStatus[], b: ConversationStatus[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}

/** Newest activity first: the last message, or the creation of a conversation without one. */
function byActivity(a: Conversation, b: Conversation): number {
  const time = (c: Conversation) => {
    const at = c.lastMessageAt ?? c.createdAt;
    return at ? timestampMs(at) : 0;
  };
  return time(b) - time(a);
}
