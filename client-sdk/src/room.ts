/**
 * A joined chat room: its messages in order and each once (after every
 * reconnection too), its sends queued and retried until acknowledged, its
 * presence, typing and read state, and whether one may write in it now.
 *
 * Two numbers keep it exact. `seq` orders new messages: they are delivered
 * in seq order, each once (MessageSequence; a seq gap is filled from
 * `chat:history`). `rev` orders changes: every change to a message (new,
 * edited, deleted, hidden, reacted to, pinned, voted in) takes the room's
 * next rev, and the room keeps each message's state with the highest rev
 * (a lower one is ignored). It rejoins with `since_rev` (the highest
 * contiguous rev it saw) and pages through `chat:changes`, so whatever
 * changed while it was away reaches it; a rev gap while live (a push with
 * rev > highest + 1) waits LATE_PUSH_WAIT_MS for the late push, then fetches
 * `chat:changes` after the highest contiguous rev (and history only for a
 * seq gap that the change feed did not fill).
 */

import { Emitter } from "./emitter.js";
import {
  ConnectionError,
  ServerError,
  TimeoutError,
  TwinspaceError,
  ClientCodes,
  closedError,
} from "./errors.js";
import { randomId } from "./ids.js";
import { Outbox } from "./outbox.js";
import type { ChatSendPayload, PushEvent, Pushes } from "./protocol.js";
import { MessageSequence, newest } from "./sequence.js";
import type { Transport } from "./transport.js";
import { Limits } from "./wire.js";
import type {
  ChangeKind,
  ChangesPage,
  ChatFeatures,
  History,
  MentionPush,
  Message,
  Mine,
  MuteState,
  PollVoted,
  PollVoters,
  ReactionList,
  SeenByList,
  SeenCounts,
  PresenceView,
  PresenceUpdate,
  RoomEvents,
  RoomJoined,
  Space,
  Unread,
  WriteState,
} from "./types.js";

/** The most messages one `chat:history` page may hold (CHAT_PAGE_MAX). */
const HISTORY_PAGE_MAX = Limits.CHAT_PAGE_MAX;
/**
 * How long a missing message may be only late before it is fetched from history.
 * With several server instances, pushes stored one after the other can reach a
 * client out of seq order (each instance relays its own through Redis); a message
 * that arrives within this wait fills its gap without a `chat:history` request.
 */
export const LATE_PUSH_WAIT_MS = 300;
/** Wait before trying again to catch up or rejoin after a failure that may pass. */
const RETRY_DELAY_MS = 2_000;
/** Typing notices are worth little late: do not wait long for their ack. */
const TYPING_TIMEOUT_MS = 5_000;
/** setTimeout's longest delay (about 24.8 days); a later end is checked again then. */
const TIMER_MAX_MS = 2_147_483_647;
/** How soon to ask again when the server still says a restriction that ended by this clock. */
const WRITE_RECHECK_MS = 2_000;
/** Send refusals that say one may not write here now. */
const WRITE_REFUSALS = new Set(["chat.muted", "chat.read_only", "chat.closed_hours", "chat.slow_mode"]);

export interface JoinOptions {
  /**
   * The last seq the application already has (say, from an earlier visit):
   * `room.recent` then holds every message after it, instead of the latest page.
   */
  sinceSeq?: number;
}

export interface SendOptions {
  /** The id of the message this one answers. */
  replyTo?: string;
  /** The user ids of the members the text names as `@name` (each is told, with a `chat:mention` push). */
  mentions?: string[];
  /** The text says `@teachers`: the project's teachers are told. */
  mentionTeachers?: boolean;
  /** Ids of files uploaded with `client.uploadFile` (up to 10). */
  attachments?: string[];
  /**
   * The send's idempotency key; by default a random UUID. Give your own to
   * show the message at once and match it with the stored one (`message.client_id`).
   */
  clientId?: string;
}

export interface NewPoll {
  /** The question, also the message's text (up to 300 characters). */
  question: string;
  /** 2 to 10 different options. */
  options: string[];
  /** Each person may choose several options. */
  multiple?: boolean;
  /** Nobody, teachers included, sees who chose what. */
  anonymous?: boolean;
  /** When voting ends by itself: a Date or an ISO 8601 time with its zone. */
  closesAt?: Date | string;
  /** The creation's idempotency key (a random UUID by default). */
  clientId?: string;
}

export interface HistoryOptions {
  /** Messages before this seq (the newest ones by default). */
  beforeSeq?: number;
  /** Messages after this seq, oldest first. */
  afterSeq?: number;
  /** Up to 200; 50 by default. */
  limit?: number;
}

/**
 * `joining`: (re)joining after a (re)connection, sends wait; `live`: joined,
 * sends go; `offline`: the connection is down, sends wait; `left`: for good.
 */
export type RoomState = "joining" | "live" | "offline" | "left";

type UpdatePush = "chat:message_edited" | "chat:message_deleted" | "chat:message_hidden"
  | "chat:reactions_changed" | "chat:pin_changed" | "chat:poll_changed";
type MessagePush = "chat:message" | UpdatePush;

/** The kind of change each push tells of. */
const UPDATE_KINDS: Record<UpdatePush, ChangeKind> = {
  "chat:message_edited": "edited",
  "chat:message_deleted": "deleted",
  "chat:message_hidden": "hidden",
  "chat:reactions_changed": "reactions",
  "chat:pin_changed": "pin",
  "chat:poll_changed": "poll",
};
/** Changes that also have an event of their own (the events of earlier versions). */
const LEGACY_EVENTS = { edited: "edited", deleted: "deleted", hidden: "hidden" } as const;

/** What changed between two states of a message (for changes that came from the feed, not a push). */
export function changeKind(previous: Message | undefined, next: Message): ChangeKind {
  if (!previous) return "changed";
  if (previous.deleted !== next.deleted) return "deleted";
  if (previous.hidden !== next.hidden) return "hidden";
  if (previous.text !== next.text || previous.edited_at !== next.edited_at) return "edited";
  if (previous.pinned !== next.pinned) return "pin";
  if (JSON.stringify(previous.poll) !== JSON.stringify(next.poll)) return "poll";
  if (JSON.stringify(previous.reactions) !== JSON.stringify(next.reactions)) return "reactions";
  return "changed";
}

const hasRev = (message: Message): boolean => typeof message.rev === "number";

/** @internal What a room needs from its client. */
export interface RoomHost {
  readonly transport: Transport;
  readonly sendAckTimeoutMs: number;
  /** The room is left: forget it. */
  forget(room: Room): void;
  /** One's read state here changed (told to the client's `unread` listeners). */
  unreadChanged(unread: Unread): void;
}

export class Room extends Emitter<RoomEvents> {
  readonly id: string;
  private readonly host: RoomHost;
  private readonly outbox: Outbox;
  private roomState: RoomState = "joining";
  private joinedSpace: Space | undefined;
  private readonly onlineByKey = new Map<string, PresenceView>();
  private readSeq = 0;
  /** The highest seq the server said exists. */
  private serverSeq = 0;
  private sequence: MessageSequence | undefined;
  /** Pushes that came before the first join's answer. */
  private early: Array<{ event: MessagePush; message: Message }> = [];
  /** During the first join, delivered messages go to `recent` rather than to listeners not attached yet. */
  private starting = true;
  private readonly recentMessages: Message[] = [];
  private older = false;
  private filling: { epoch: number; done: Promise<void> } | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** A gap seen while live: fetched when it is still there after LATE_PUSH_WAIT_MS. */
  private lateTimer: ReturnType<typeof setTimeout> | undefined;
  private write: WriteState | undefined;
  /** Asks the server again when a mute, slow-mode wait or closed hours end. */
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  /** Each message's state with the highest rev, by id: delivered ones, and those pages brought. */
  private readonly states = new Map<string, Message>();
  /** Every change up to this rev has been applied (or superseded by a later one). */
  private contiguousRev = 0;
  /** Revs seen above `contiguousRev`: a gap below them is missing (or late). */
  private readonly revsAhead = new Set<number>();
  /** A change-feed catch-up in progress. */
  private changing: { epoch: number; done: Promise<void> } | undefined;
  private pins: Message[] = [];
  private readonly seenBySeq = new Map<number, number>();
  private readonly myReactionsById = new Map<string, string[]>();
  private readonly myVotesById = new Map<string, number[]>();
  /** Unread mentions as the last join counted them, and the seqs of those pushed since. */
  private joinedMentions = 0;
  private joinedLastSeq = 0;
  private readonly mentionSeqs = new Set<number>();
  private chatFeatures: ChatFeatures | undefined;

  /** @internal Rooms are made by `client.joinRoom`. */
  constructor(host: RoomHost, id: string) {
    super();
    this.host = host;
    this.id = id;
    this.outbox = new Outbox(host.transport, {
      isLive: () => this.roomState === "live",
      stored: (message) => this.sent(message),
      refused: (error) => this.sendRefused(error),
    }, host.sendAckTimeoutMs);
  }

  // ---- state ---------------------------------------------------------------------

  get state(): RoomState {
    return this.roomState;
  }

  /** The room as the server describes it (name, project, visibility). */
  get space(): Space {
    if (!this.joinedSpace) throw new Error("The room is not joined yet.");
    return this.joinedSpace;
  }

  /** @internal The room's project, once joined. */
  get projectId(): string | undefined {
    return this.joinedSpace?.project_id;
  }

  /** Who is online here now. */
  get online(): PresenceView[] {
    return [...this.onlineByKey.values()];
  }

  /** Messages after one's read marker, kept up to date as messages arrive. */
  get unread(): number {
    return Math.max(0, this.serverSeq - this.readSeq);
  }

  /** One's read marker here: the last seq read. */
  get lastReadSeq(): number {
    return this.readSeq;
  }

  /** The last seq delivered to the application: every message up to it came once, in order. */
  get seq(): number {
    return this.sequence?.lastSeq ?? 0;
  }

  /**
   * What the first join brought, oldest first: the latest messages (up to 50),
   * or with `sinceSeq` every message after it. Later messages come as `message` events.
   */
  get recent(): readonly Message[] {
    return this.recentMessages;
  }

  /** Older messages exist before `recent` (fetch them with `history({beforeSeq})`). */
  get hasOlder(): boolean {
    return this.older;
  }

  /**
   * Whether one may write here now, as the server said at the join and
   * since: `can_write`, and when not, `reason` (the error code a send would
   * get: `chat.muted`, `chat.read_only`, `chat.slow_mode`, `chat.closed_hours`,
   * `permission.denied`), `until` (a mute's or a slow-mode wait's end) and
   * `opens_at` (closed hours). Kept up to date by mutes, the room's rules
   * and refused sends; a `writeState` event tells of each change.
   */
  get writeState(): WriteState {
    if (!this.write) throw new Error("The room is not joined yet.");
    return this.write;
  }

  /** Sends not acknowledged yet, oldest first: queued while offline, or waiting for their ack. */
  get pendingSends(): readonly ChatSendPayload[] {
    return this.outbox.pending;
  }

  /** The highest rev up to which every change reached this room: a rejoin resumes after it. */
  get lastRev(): number {
    return this.contiguousRev;
  }

  /** A message's latest state, as this room holds it (the delivered ones, and those history pages brought). */
  message(messageId: string): Message | undefined {
    return this.states.get(messageId);
  }

  /** The pinned messages, newest pin first (teachers pin up to a limit). */
  get pinned(): readonly Message[] {
    return this.pins;
  }

  /**
   * How many have read message `seq` (its author left out), as the server last
   * said; undefined when it did not (counts off, or a message older than the pages seen).
   */
  seenCount(seq: number): number | undefined {
    return this.seenBySeq.get(seq);
  }

  /** The reactions one gave to a message (as the pages and one's own reactions say). */
  myReactions(messageId: string): readonly string[] {
    return this.myReactionsById.get(messageId) ?? [];
  }

  /** The options one chose in a poll (indexes); empty when one has not voted. */
  myVote(messageId: string): readonly number[] {
    return this.myVotesById.get(messageId) ?? [];
  }

  /** Messages here that mention one (by name or as one of `@teachers`) after one's read marker. */
  get mentionCount(): number {
    let pushed = 0;
    for (const seq of this.mentionSeqs) if (seq > this.readSeq) pushed += 1;
    const fromJoin = this.readSeq >= this.joinedLastSeq ? 0 : this.joinedMentions;
    return fromJoin + pushed;
  }

  /** What the project's chat offers: the reactions offered, and who sees "seen by". */
  get features(): ChatFeatures {
    if (!this.chatFeatures) throw new Error("The room is not joined yet.");
    return this.chatFeatures;
  }

  private get isLeft(): boolean {
    return this.roomState === "left";
  }

  // ---- actions -------------------------------------------------------------------

  /**
   * Send a message. It is queued while offline and sent in order once the room
   * is joined again; resolves once with the stored message.
   */
  send(text: string, options: SendOptions = {}): Promise<Message> {
    if (this.roomState === "left") return Promise.reject(closedError(this.host.transport.language, "room_left"));
    return this.outbox.add({
      room_id: this.id,
      client_id: options.clientId ?? randomId(),
      text,
      ...(options.replyTo !== undefined ? { reply_to: options.replyTo } : {}),
      ...(options.attachments !== undefined ? { attachments: options.attachments } : {}),
      ...(options.mentions !== undefined && options.mentions.length > 0 ? { mentions: options.mentions } : {}),
      ...(options.mentionTeachers ? { mention_teachers: true } : {}),
    });
  }

  /**
   * A page of messages from the server; it does not go through the `message`
   * events, but the room keeps their states, "seen by" counts and one's marks.
   */
  async history(options: HistoryOptions = {}): Promise<History> {
    const page = await this.host.transport.request("chat:history", {
      room_id: this.id,
      ...(options.beforeSeq !== undefined ? { before_seq: options.beforeSeq } : {}),
      ...(options.afterSeq !== undefined ? { after_seq: options.afterSeq } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    }, { repeatable: true });
    for (const message of page.messages) this.keep(message);
    this.applyMarks(page.messages, page.seen, page.mine);
    return page;
  }

  // ---- reactions, pins, polls, seen by ---------------------------------------------------

  /** React to a message with one of the project's offered reactions (`room.features.reactions`). */
  async react(messageId: string, emoji: string): Promise<Message> {
    return this.setReaction(messageId, emoji, true);
  }

  /** Take one's reaction back. */
  async unreact(messageId: string, emoji: string): Promise<Message> {
    return this.setReaction(messageId, emoji, false);
  }

  /** Who reacted to a message, per reaction (as one may see them: visitors get no pupil's id). */
  reactions(messageId: string): Promise<ReactionList> {
    return this.host.transport.request("chat:reactions", { room_id: this.id, message_id: messageId },
      { repeatable: true });
  }

  /** Pin a message at the top of the room (teachers). */
  pin(messageId: string): Promise<Message> {
    return this.setPinned(messageId, true);
  }

  unpin(messageId: string): Promise<Message> {
    return this.setPinned(messageId, false);
  }

  /** Ask the room a question (teachers): a message carrying the poll. */
  async createPoll(poll: NewPoll): Promise<Message> {
    const closesAt = poll.closesAt instanceof Date ? poll.closesAt.toISOString() : poll.closesAt;
    const message = await this.host.transport.request("chat:poll_create", {
      room_id: this.id,
      client_id: poll.clientId ?? randomId(),
      question: poll.question,
      options: poll.options,
      ...(poll.multiple !== undefined ? { multiple: poll.multiple } : {}),
      ...(poll.anonymous !== undefined ? { anonymous: poll.anonymous } : {}),
      ...(closesAt !== undefined ? { closes_at: closesAt } : {}),
    }, { repeatable: true });
    this.applyOwn(message, "chat:message");
    return message;
  }

  /** Vote with the indexes of the chosen options; voting again replaces one's vote; `[]` takes it back. */
  async vote(messageId: string, choices: number[]): Promise<PollVoted> {
    const voted = await this.host.transport.request("chat:poll_vote",
      { room_id: this.id, message_id: messageId, choices }, { repeatable: true });
    this.setMine(this.myVotesById, messageId, voted.choices);
    this.applyOwn(voted.message, "chat:poll_changed");
    return voted;
  }

  /** Close a poll (teachers): votes are refused from then on. */
  async closePoll(messageId: string): Promise<Message> {
    const message = await this.host.transport.request("chat:poll_close",
      { room_id: this.id, message_id: messageId }, { repeatable: true });
    this.applyOwn(message, "chat:poll_changed");
    return message;
  }

  /** Who chose each option of a poll that is not anonymous (staff). */
  pollVoters(messageId: string): Promise<PollVoters> {
    return this.host.transport.request("chat:poll_voters", { room_id: this.id, message_id: messageId },
      { repeatable: true });
  }

  /** Who has read a message, when the project lets one see it (staff by default). */
  seenBy(messageId: string): Promise<SeenByList> {
    return this.host.transport.request("chat:seen_by", { room_id: this.id, message_id: messageId },
      { repeatable: true });
  }

  private async setReaction(messageId: string, emoji: string, on: boolean): Promise<Message> {
    const message = await this.host.transport.request("chat:react",
      { room_id: this.id, message_id: messageId, emoji, on }, { repeatable: true });
    const mine = this.myReactions(messageId).filter((e) => e !== emoji);
    this.setMine(this.myReactionsById, messageId, on ? [...mine, emoji] : mine);
    this.applyOwn(message, "chat:reactions_changed");
    return message;
  }

  private async setPinned(messageId: string, pinned: boolean): Promise<Message> {
    const message = await this.host.transport.request("chat:pin",
      { room_id: this.id, message_id: messageId, pinned }, { repeatable: true });
    this.applyOwn(message, "chat:pin_changed");
    return message;
  }

  /** Move one's read marker to `seq` (by default the last message delivered); it never moves back. */
  async markRead(seq: number = this.seq): Promise<Unread> {
    const unread = await this.host.transport.request("chat:read", { room_id: this.id, seq }, { repeatable: true });
    this.readStateChanged(unread); // this connection is told by the ack, the others by a push
    return unread;
  }

  /** Tell the others one is typing; false when it was not passed on (offline, or throttled by the server). */
  async typing(): Promise<boolean> {
    const { transport } = this.host;
    if (this.roomState !== "live" || !transport.connected) return false;
    const ack = await transport.request("chat:typing", { room_id: this.id },
      { timeoutMs: TYPING_TIMEOUT_MS, epoch: transport.epoch });
    return ack.sent;
  }

  /** Change the text of one's own message. */
  async edit(messageId: string, text: string): Promise<Message> {
    const message = await this.host.transport.request("chat:edit", { room_id: this.id, message_id: messageId, text },
      { repeatable: true });
    this.applyOwn(message, "chat:message_edited");
    return message;
  }

  /** Delete a message: one's own, or any as a teacher. It stays as a tombstone. */
  async delete(messageId: string): Promise<Message> {
    const message = await this.host.transport.request("chat:delete", { room_id: this.id, message_id: messageId });
    this.applyOwn(message, "chat:message_deleted");
    return message;
  }

  /** Hide a message from the room (teachers), or show it again with `false`; the room gets a `hidden` event. */
  async hide(messageId: string, hidden = true): Promise<Message> {
    const message = await this.host.transport.request("chat:hide",
      { room_id: this.id, message_id: messageId, hidden }, { repeatable: true });
    this.applyOwn(message, "chat:message_hidden");
    return message;
  }

  /** An ack's message: applied as its push would be (the push may not come back to the acting connection). */
  private applyOwn(message: Message, event: MessagePush): void {
    if (this.isLeft || message.room_id !== this.id) return;
    if (event === "chat:message") this.receive([message]);
    else this.receiveUpdate(event, message);
  }

  /** Stop following the room. Sends still waiting reject with `client.closed`. */
  async leave(): Promise<void> {
    if (this.roomState === "left") return;
    this.shutdown(closedError(this.host.transport.language, "room_left"));
    const { transport } = this.host;
    if (transport.connected) {
      try {
        await transport.request("room:leave", { room_id: this.id }, { epoch: transport.epoch });
      } catch {
        // Leaving is best effort: the server forgets the connection's rooms when it closes anyway.
      }
    }
  }

  // ---- driven by the client ----------------------------------------------------------

  /** @internal The first join; resolves once `recent` is complete. */
  async start(options: JoinOptions, timeoutMs: number): Promise<void> {
    const { transport } = this.host;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await transport.whenConnected(deadline, "room:join");
      try {
        await this.join(transport.epoch, options.sinceSeq);
      } catch (error) {
        if (this.isLeft) throw closedError(this.host.transport.language, "room_left");
        const dropped = error instanceof ConnectionError && error.code === ClientCodes.disconnected;
        if (!dropped || Date.now() >= deadline) throw error;
        continue;
      }
      if (this.isLeft) throw closedError(this.host.transport.language, "room_left");
      this.starting = false;
      return;
    }
  }

  /** @internal A new connection: join again from the last seq delivered and catch up. */
  resume(epoch: number): void {
    if (this.starting || this.roomState === "left") return;
    this.join(epoch).catch((error: unknown) => this.resumeFailed(epoch, error));
  }

  /** @internal The connection dropped. */
  suspend(): void {
    if (this.roomState !== "left") this.roomState = "offline";
  }

  /** @internal Left for good: by the application, by a refused rejoin, or with the client. */
  shutdown(error: TwinspaceError): void {
    if (this.roomState === "left") return;
    this.roomState = "left";
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.lateTimer !== undefined) clearTimeout(this.lateTimer);
    if (this.writeTimer !== undefined) clearTimeout(this.writeTimer);
    this.lateTimer = undefined;
    this.outbox.rejectAll(error);
    this.host.forget(this);
  }

  /** @internal A push about this room. */
  handlePush<E extends PushEvent>(event: E, data: Pushes[E]): void {
    if (this.roomState === "left") return;
    switch (event) {
      case "chat:message":
        this.receive([data as Message]);
        break;
      case "chat:message_edited":
      case "chat:message_deleted":
      case "chat:message_hidden":
      case "chat:reactions_changed":
      case "chat:pin_changed":
      case "chat:poll_changed":
        this.receiveUpdate(event as UpdatePush, data as Message);
        break;
      case "chat:seen":
        this.applySeen(data as SeenCounts);
        break;
      case "chat:mention":
        this.mentioned(data as MentionPush);
        break;
      case "project:chat_features":
        this.featuresChanged(data as ChatFeatures);
        break;
      case "room:updated":
        this.rulesChanged(data as Space);
        break;
      case "moderation:muted":
        this.muteChanged(data as MuteState);
        break;
      case "project:safeguarding":
        this.refresh(); // chat hours may have changed: the server says what they mean now
        break;
      case "chat:typing":
        this.emit("typing", data as Pushes["chat:typing"]);
        break;
      case "presence:update":
        this.applyPresence(data as PresenceUpdate);
        break;
      case "member:erased":
        this.dropPerson((data as Pushes["member:erased"]).user_id);
        break;
      case "room:unread":
        this.readStateChanged(data as Unread);
        this.catchUpUnlessLate();
        break;
    }
  }

  // ---- joining and catching up -------------------------------------------------------

  /**
   * Join (or rejoin): the first time, the latest page (or what came after
   * `sinceSeq`); again, every change after the highest contiguous rev
   * (`since_rev`), paged through `chat:changes` until none is left.
   */
  private async join(epoch: number, sinceSeq?: number): Promise<void> {
    const { transport } = this.host;
    this.roomState = "joining";
    const resuming = this.sequence !== undefined;
    const since = this.sequence?.lastSeq ?? sinceSeq ?? null;
    const sinceRev = this.contiguousRev;
    const joined = await transport.request("room:join",
      resuming ? { room_id: this.id, since_rev: sinceRev } : { room_id: this.id, since_seq: since }, { epoch });
    if (this.isLeft) return;
    if (!this.sequence) {
      // First join: without sinceSeq, the page is the latest messages and they start the sequence.
      const first = Math.min(...joined.messages.map((m) => m.seq));
      this.sequence = new MessageSequence(since ?? (Number.isFinite(first) ? first - 1 : joined.last_seq));
      this.older = since === null && joined.has_more;
    }
    this.applyJoined(joined);
    const early = this.early;
    this.early = [];
    this.takeChanges(joined.messages);
    this.applyMarks(joined.messages, joined.seen, joined.mine);
    for (const { event, message } of early) {
      if (event === "chat:message") this.receive([message]);
      else this.receiveUpdate(event, message);
    }
    if (resuming && joined.has_more) {
      // Rejoined with since_rev: the answer is the first page of changes; the others follow.
      await this.pageChanges(epoch, lastRevOf(joined.messages, sinceRev));
    }
    this.reachedRev(joined.last_rev);
    this.roomState = "live";
    this.outbox.pump();
    if (this.revsAhead.size > 0) this.catchUpUnlessLate(); // pushes past last_rev with a gap below them
    await this.catchUp(epoch);
  }

  /** Messages from a join or a page of changes, in rev order: new ones into the sequence, the others as changes. */
  private takeChanges(messages: Message[]): void {
    const sequence = this.sequence;
    if (!sequence) return;
    for (const message of messages) {
      if (message.seq > sequence.lastSeq) this.receive([message]);
      else this.receiveUpdate(undefined, message);
    }
  }

  /** Fetch `chat:changes` after `after` until the server has no more; then every rev up to its `last_rev` is in. */
  private async pageChanges(epoch: number, after: number): Promise<void> {
    for (;;) {
      const page: ChangesPage = await this.host.transport.request("chat:changes",
        { room_id: this.id, after_rev: after }, { epoch });
      if (this.isLeft) return;
      this.takeChanges(page.messages);
      this.applyMarks(page.messages, page.seen, page.mine);
      const next = lastRevOf(page.messages, after);
      if (!page.has_more || next <= after) {
        this.reachedRev(page.last_rev);
        return;
      }
      after = next;
    }
  }

  /** A rev gap while live: fetch the changes after the highest contiguous rev (one fetch at a time). */
  private catchUpChanges(epoch: number): Promise<void> {
    if (this.changing && this.changing.epoch === epoch) return this.changing.done;
    const done = this.pageChanges(epoch, this.contiguousRev).finally(() => {
      if (this.changing?.done === done) this.changing = undefined;
    });
    this.changing = { epoch, done };
    return done;
  }

  /** A change with this rev arrived: the contiguous rev moves on over it, or a gap opens below it. */
  private noteRev(rev: number): void {
    if (rev <= this.contiguousRev) return;
    this.revsAhead.add(rev);
    while (this.revsAhead.delete(this.contiguousRev + 1)) this.contiguousRev += 1;
    if (this.revsAhead.size > 0) this.catchUpUnlessLate();
    else this.lateFilled();
  }

  /** The late pushes came: a later gap gets a wait of its own, not what is left of this one. */
  private lateFilled(): void {
    const sequence = this.sequence;
    if (this.lateTimer === undefined || this.revsAhead.size > 0) return;
    if (sequence && sequence.lastSeq < Math.max(this.serverSeq, sequence.highestKnown)) return;
    clearTimeout(this.lateTimer);
    this.lateTimer = undefined;
  }

  /** The server says every change up to `rev` was given (a join's or a feed page's `last_rev`). */
  private reachedRev(rev: number | undefined): void {
    if (typeof rev !== "number" || rev <= this.contiguousRev) return;
    this.contiguousRev = rev;
    for (const ahead of this.revsAhead) if (ahead <= rev) this.revsAhead.delete(ahead);
    while (this.revsAhead.delete(this.contiguousRev + 1)) this.contiguousRev += 1;
  }

  /** Fetch from history until every message the server has told of is delivered. */
  private catchUp(epoch: number): Promise<void> {
    if (this.filling && this.filling.epoch === epoch) return this.filling.done;
    const done = this.fill(epoch).finally(() => {
      if (this.filling?.done === done) this.filling = undefined;
    });
    this.filling = { epoch, done };
    return done;
  }

  private async fill(epoch: number): Promise<void> {
    const sequence = this.sequence;
    if (!sequence) return;
    while (this.roomState === "live" && sequence.lastSeq < Math.max(this.serverSeq, sequence.highestKnown)) {
      const after = sequence.lastSeq;
      const page = await this.host.transport.request("chat:history",
        { room_id: this.id, after_seq: after, limit: HISTORY_PAGE_MAX }, { epoch });
      const first = Math.min(...page.messages.map((m) => m.seq));
      // The sequence has no holes; should a page ever skip some, do not wait for them forever.
      if (Number.isFinite(first) && first > after + 1) sequence.skipTo(first - 1);
      this.receive(page.messages);
      if (sequence.lastSeq === after) break; // nothing newer: the next push or join tells more
    }
  }

  /**
   * A gap appeared while live: fill it now, and again a little later if that fails.
   * A rev gap is fetched from the change feed (which brings new messages too); a seq
   * gap still open after it (or without one: `room:unread` told of a later seq) from history.
   */
  private catchUpLater(): void {
    const sequence = this.sequence;
    const { transport } = this.host;
    if (!sequence || this.roomState !== "live") return;
    const revGap = this.revsAhead.size > 0;
    const seqGap = () => sequence.lastSeq < Math.max(this.serverSeq, sequence.highestKnown);
    if (!revGap && !seqGap()) return;
    const epoch = transport.epoch;
    const work = revGap
      ? this.catchUpChanges(epoch).then(() => (seqGap() ? this.catchUp(epoch) : undefined))
      : this.catchUp(epoch);
    work.catch(() => {
      if (this.retryTimer !== undefined || this.roomState === "left") return;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (transport.epoch === epoch) this.catchUpLater();
      }, RETRY_DELAY_MS);
    });
  }

  private resumeFailed(epoch: number, error: unknown): void {
    const { transport } = this.host;
    if (this.roomState === "left" || transport.closed) return;
    if (transport.epoch !== epoch || !transport.connected) return; // the next connection resumes
    const passing = error instanceof TimeoutError || error instanceof ServerError || error instanceof ConnectionError
      || !(error instanceof TwinspaceError);
    if (passing) {
      if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (transport.epoch === epoch && transport.connected) this.resume(epoch);
      }, RETRY_DELAY_MS);
      return;
    }
    // Refused: access withdrawn, or the room is gone.
    this.shutdown(error);
    this.emit("error", error);
  }

  // ---- what arrives ----------------------------------------------------------------

  private receive(messages: Message[]): void {
    if (!this.sequence) {
      for (const message of messages) this.early.push({ event: "chat:message", message });
      return;
    }
    for (const message of messages) if (hasRev(message)) this.noteRev(message.rev);
    for (const message of this.sequence.accept(messages)) {
      this.serverSeq = Math.max(this.serverSeq, message.seq);
      this.keep(message);
      this.pinChanged(message);
      if (this.starting) this.recentMessages.push(message);
      else this.emit("message", message);
    }
    if (this.sequence.highestKnown > this.sequence.lastSeq) this.catchUpUnlessLate();
    else this.lateFilled();
  }

  /** A gap while live: give the missing messages LATE_PUSH_WAIT_MS to arrive, then fetch what still misses. */
  private catchUpUnlessLate(): void {
    if (this.lateTimer !== undefined || this.roomState !== "live") return;
    const epoch = this.host.transport.epoch;
    this.lateTimer = setTimeout(() => {
      this.lateTimer = undefined;
      if (this.host.transport.epoch === epoch) this.catchUpLater();
    }, LATE_PUSH_WAIT_MS);
  }

  /**
   * A change to a message (`event` undefined: from a join or the change feed, the kind
   * found by comparing states). A state with a lower rev than the one held is ignored.
   */
  private receiveUpdate(event: UpdatePush | undefined, message: Message): void {
    if (!this.sequence) {
      this.early.push({ event: event ?? "chat:message_edited", message });
      return;
    }
    if (hasRev(message)) this.noteRev(message.rev);
    if (!this.sequence.update(message)) return; // delivered later, as it now is
    const previous = this.states.get(message.id);
    if (previous && !isNewer(previous, message)) return; // a late push: the room holds this state or a newer one
    this.keep(message);
    this.pinChanged(message);
    const kind = event ? UPDATE_KINDS[event] : changeKind(previous, message);
    if (this.starting) {
      const index = this.recentMessages.findIndex((m) => m.seq === message.seq);
      if (index >= 0) this.recentMessages[index] = message;
      return;
    }
    this.emit("messageChanged", { kind, message, previous });
    if (kind === "edited" || kind === "deleted" || kind === "hidden") this.emit(LEGACY_EVENTS[kind], message);
  }

  /** Hold a message's state unless a newer one is held. */
  private keep(message: Message): void {
    const held = this.states.get(message.id);
    if (!held || isNewer(held, message)) this.states.set(message.id, message);
  }

  /** `room.pinned` follows each message's `pinned`, newest pin first. */
  private pinChanged(message: Message): void {
    const at = this.pins.findIndex((m) => m.id === message.id);
    if (!message.pinned && at < 0) return;
    if (at >= 0 && !newerOrSame(this.pins[at]!, message)) return;
    const pins = this.pins.filter((m) => m.id !== message.id);
    if (message.pinned && !message.deleted) pins.push(message);
    pins.sort((a, b) => (b.pinned_at ?? "").localeCompare(a.pinned_at ?? ""));
    this.pins = pins;
    if (!this.starting) this.emit("pinned", pins);
  }

  /** A page's "seen by" counts and one's own reactions and votes on its messages. */
  private applyMarks(messages: Message[], seen: SeenCounts["counts"] | undefined, mine: Mine | undefined): void {
    if (seen && seen.length > 0) this.applySeen({ room_id: this.id, counts: seen });
    if (!mine) return;
    for (const message of messages) {
      this.setMine(this.myReactionsById, message.id, mine.reactions[message.id] ?? []);
      if (message.poll) this.setMine(this.myVotesById, message.id, mine.votes[message.id] ?? []);
    }
  }

  private setMine<T>(marks: Map<string, T[]>, messageId: string, next: T[]): void {
    const before = marks.get(messageId) ?? [];
    if (next.length > 0) marks.set(messageId, next);
    else marks.delete(messageId);
    if (JSON.stringify(before) !== JSON.stringify(next) && !this.starting) this.emit("mine", { message_id: messageId });
  }

  private applySeen(counts: SeenCounts): void {
    for (const { seq, seen } of counts.counts) this.seenBySeq.set(seq, seen);
    if (!this.starting) this.emit("seen", counts);
  }

  private mentioned(push: MentionPush): void {
    if (push.message.seq <= this.readSeq || this.mentionSeqs.has(push.message.seq)) return;
    this.mentionSeqs.add(push.message.seq);
    this.emit("mentions", this.mentionCount);
  }

  private featuresChanged(features: ChatFeatures): void {
    this.chatFeatures = { reactions: features.reactions, seen_by: features.seen_by };
    this.emit("features", this.chatFeatures);
  }

  private applyJoined(joined: RoomJoined): void {
    this.joinedSpace = joined.room;
    this.setWriteState(joined.write_state);
    this.onlineByKey.clear();
    for (const entry of joined.online) this.onlineByKey.set(entry.key, entry);
    this.readSeq = joined.last_read_seq;
    this.serverSeq = Math.max(this.serverSeq, joined.last_seq);
    if (joined.features) this.chatFeatures = joined.features;
    if (typeof joined.mentions === "number") {
      const before = this.starting ? undefined : this.mentionCount;
      this.joinedMentions = joined.mentions;
      this.joinedLastSeq = joined.last_seq;
      for (const seq of this.mentionSeqs) if (seq <= joined.last_seq) this.mentionSeqs.delete(seq);
      if (before !== undefined && before !== this.mentionCount) this.emit("mentions", this.mentionCount);
    }
    if (joined.pinned) {
      // The server's list as it is now; a later push still updates it. A message the room holds
      // already is left to the changes (the page, or the next pages), which tell what changed.
      for (const message of joined.pinned) if (!this.states.has(message.id)) this.keep(message);
      this.pins = [...joined.pinned].sort((a, b) => (b.pinned_at ?? "").localeCompare(a.pinned_at ?? ""));
      if (!this.starting) this.emit("pinned", this.pins);
    }
  }

  private applyPresence(update: PresenceUpdate): void {
    for (const key of update.left) this.onlineByKey.delete(key); // keys: a visitor's view names no pupil
    for (const entry of update.joined) this.onlineByKey.set(entry.key, entry);
    this.emit("presence", update);
  }

  /** An erased member: gone from who is online here, as if they had left. */
  private dropPerson(userId: string): void {
    const entry = [...this.onlineByKey.values()].find((e) => e.user_id === userId);
    if (!entry) return;
    this.applyPresence({ room_id: this.id, joined: [], left: [entry.key] });
  }

  private readStateChanged(unread: Unread): void {
    const mentions = this.mentionCount;
    this.readSeq = Math.max(this.readSeq, unread.last_read_seq);
    this.serverSeq = Math.max(this.serverSeq, unread.last_seq);
    this.emit("unread", unread);
    this.host.unreadChanged(unread);
    if (this.mentionCount !== mentions) this.emit("mentions", this.mentionCount);
  }

  // ---- whether one may write ----------------------------------------------------------

  private setWriteState(next: WriteState): void {
    const changed = JSON.stringify(next) !== JSON.stringify(this.write);
    this.write = next;
    this.scheduleWriteCheck();
    if (changed && !this.starting) this.emit("writeState", next);
  }

  /** When the current restriction ends, ask the server what holds then. */
  private scheduleWriteCheck(): void {
    if (this.writeTimer !== undefined) clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    const ends = [this.write?.until, this.write?.opens_at]
      .map((at) => (at ? Date.parse(at) : NaN))
      .filter((at) => Number.isFinite(at));
    if (this.write?.can_write !== false || ends.length === 0 || this.isLeft) return;
    const wait = Math.min(...ends) - Date.now();
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      if (wait > TIMER_MAX_MS) this.scheduleWriteCheck();
      else this.refresh();
    }, wait > 0 ? Math.min(TIMER_MAX_MS, wait + 50) : WRITE_RECHECK_MS); // past already: the clocks differ
  }

  /** The room's rules changed: take the new ones at once, then ask the server what they mean for one. */
  private rulesChanged(space: Space): void {
    this.joinedSpace = space;
    if (this.write) {
      this.setWriteState({ ...this.write, read_only: space.read_only, slow_mode_secs: space.slow_mode_secs });
    }
    this.emit("updated", space);
    this.refresh();
  }

  /** One's mutes changed: a mute here (or project-wide) stops one writing until it ends. */
  private muteChanged(state: MuteState): void {
    if (!this.write || state.project_id !== this.joinedSpace?.project_id) return;
    const now = Date.now();
    const ends = state.mutes.filter((mute) => (mute.room_id === null || mute.room_id === this.id)
      && Date.parse(mute.until) > now).map((mute) => mute.until).sort();
    const until = ends[ends.length - 1];
    if (until !== undefined) {
      this.setWriteState({ ...this.write, can_write: false, reason: "chat.muted", until });
    }
    this.refresh();
  }

  /** A send was refused because one may not write now: the refusal says until when. */
  private sendRefused(error: TwinspaceError): void {
    if (!this.write || !WRITE_REFUSALS.has(error.code)) return;
    const details = error.details;
    const next: WriteState = { ...this.write, can_write: false, reason: error.code as WriteState["reason"] };
    if (error.code === "chat.muted" && typeof details["until"] === "string") next.until = details["until"];
    if (error.code === "chat.closed_hours" && typeof details["opens_at"] === "string") next.opens_at = details["opens_at"];
    if (error.code === "chat.read_only") next.read_only = true;
    if (error.code === "chat.slow_mode" && typeof details["retry_after_secs"] === "number") {
      next.until = new Date(Date.now() + details["retry_after_secs"] * 1_000).toISOString();
    }
    this.setWriteState(next);
  }

  /**
   * Join again on the same connection, from the last seq: the server's
   * answer says whether one may write now (nothing else changes: the room
   * catches up as after a reconnection). Calls made while one runs are one more.
   */
  private refresh(): void {
    const { transport } = this.host;
    if (this.starting || this.roomState !== "live" || !transport.connected) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    const epoch = transport.epoch;
    this.refreshing = this.join(epoch)
      .catch((error: unknown) => this.resumeFailed(epoch, error))
      .finally(() => {
        this.refreshing = undefined;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.refresh();
        }
      });
  }

  /** One's own message was stored: it takes its place in the sequence, and one's read marker moves to it. */
  private sent(message: Message): void {
    this.receive([message]);
    if (message.seq > this.readSeq) {
      this.readStateChanged({ room_id: this.id, unread: 0, last_read_seq: message.seq, last_seq: message.seq });
    }
  }
}

/** Whether `next` is a later state of the message than `held` (by rev; without revs, the sequence's rule). */
function isNewer(held: Message, next: Message): boolean {
  if (hasRev(held) && hasRev(next)) return next.rev > held.rev;
  return newest(held, next) === next;
}

function newerOrSame(held: Message, next: Message): boolean {
  return !hasRev(held) || !hasRev(next) || next.rev >= held.rev;
}

/** The highest rev among messages, or `floor`. */
function lastRevOf(messages: Message[], floor: number): number {
  let rev = floor;
  for (const message of messages) if (hasRev(message) && message.rev > rev) rev = message.rev;
  return rev;
}
