/**
 * The data the server sends, as described in the "Data types" section of
 * docs/protocol.md. They are generated from the server's models into
 * `wire.ts` (see `server/sdkgen.py`); this module names them for the
 * package. Field names are the wire's (snake_case); timestamps are ISO 8601
 * strings.
 */

import type { TwinspaceError } from "./errors.js";
import type { PayloadOf, Pushes } from "./protocol.js";
import type {
  ChatFeatures,
  MailCopy,
  MentionPush,
  MailRemoved,
  MemberView,
  Message,
  Post,
  PresenceUpdate,
  Project,
  ProjectChatFeatures,
  ReportView,
  ProjectSafeguarding,
  Safeguarding,
  Space,
  Thread,
  SeenCounts,
  TypingPush,
  Unread,
  User,
  WriteState,
} from "./wire.js";

export type {
  Attachment,
  AuditEntry,
  AuditPage,
  ChangesPage,
  ChatFeatures,
  ChatHours,
  Correspondent,
  ErasureDone,
  ErasureRequest,
  ErasureSummary,
  ErrorCode,
  FileRecord,
  FileRef,
  History,
  Mail,
  MailConversation,
  MailCopy,
  MailDeleted,
  MailPage,
  MailRemoved,
  MailUnread,
  Member,
  MemberErased,
  MemberView,
  Mentioned,
  MentionPush,
  Message,
  Mine,
  Mute,
  MuteState,
  MyReport,
  MyReportPage,
  Person,
  Poll,
  PollOption,
  PollOptionVoters,
  PollVoted,
  PollVoters,
  Post,
  PostPage,
  PresenceView,
  PresenceUpdate,
  Project,
  ProjectChatFeatures,
  ProjectWithRole,
  ReactionCount,
  ReactionList,
  ReactionPeople,
  ReportPage,
  ReportView,
  Resolution,
  RoomJoined,
  RoomLeft,
  ProjectSafeguarding,
  Safeguarding,
  SearchIn,
  SearchPage,
  SearchResult,
  SeenByList,
  SeenCount,
  SeenCounts,
  Snapshot,
  Space,
  SupervisedMailPage,
  Thread,
  ThreadPage,
  ThreadSummary,
  TypingAck,
  TypingPush,
  Unread,
  User,
  WriteState,
} from "./wire.js";

/** A person's role on the platform, as the portal's token says. */
export type PlatformRole = User["role"];
/** A member's role in a project. */
export type MemberRole = MemberView["role"];
/** Who may read a space: every member, teachers only, or visitors too. */
export type Visibility = Space["visibility"];
export type ProjectStatus = Project["status"];
export type MailFolder = MailCopy["folder"];

// ---- safeguarding ------------------------------------------------------------

/** Why something is reported: bullying, inappropriate, personal_data, spam, other. */
export type ReportReason = PayloadOf<"report:create">["reason"];
/** What can be reported: message, thread, post, mail, file. */
export type ReportKind = PayloadOf<"report:create">["kind"];
/** A report's state: open, resolved, dismissed. */
export type ReportState = ReportView["state"];
/** How a moderator closes a report. */
export type ReportDecisionState = PayloadOf<"report:decide">["state"];
/** The word filter's mode: off, block (refused), flag (sent and reported). */
export type WordFilterMode = Safeguarding["word_filter"];
/** Whom pupils may mail: teachers only, or members under supervision. */
export type MailPolicy = Safeguarding["mail_policy"];
/** Why one may not write in a room now: the error code a send would get, or null when one may. */
export type WriteReason = WriteState["reason"];

// ---- classroom chat ----------------------------------------------------------

/** Who sees who has read a message: staff only (default), members too, nobody (counts only), or no counts. */
export type SeenByMode = ChatFeatures["seen_by"];

/**
 * What changed in a message one already has: `edited`, `deleted`, `hidden`
 * (hidden or shown again), `reactions`, `pin` (pinned or unpinned), `poll`
 * (a vote, a close). `changed` when it came from the change feed and the
 * previous state is not known (a message older than what the room holds).
 */
export type ChangeKind = "edited" | "deleted" | "hidden" | "reactions" | "pin" | "poll" | "changed";

/** A change to a message the room already delivered: its new state, and what the room held before. */
export interface MessageChange {
  kind: ChangeKind;
  message: Message;
  /** The state it replaces, when the room held the message. */
  previous: Message | undefined;
}

// ---- privacy -----------------------------------------------------------------

/**
 * A project's retention periods in days (null: kept until the project ends)
 * and its hold: a held project is not deleted after its grace period;
 * `delete_after` says when an archived project that is not held will be.
 */
export type Retention = Pick<Project, "chat_retention_days" | "forum_retention_days" | "mail_retention_days"
  | "file_retention_days" | "held" | "hold_reason" | "delete_after">;

// ---- events ------------------------------------------------------------------

/** What a {@link Room} emits. */
export interface RoomEvents {
  /** A new message, in seq order, each once (after a reconnection too). */
  message: Message;
  /** A delivered message was edited. */
  edited: Message;
  /** A delivered message was deleted: a tombstone with `deleted: true` and no text. */
  deleted: Message;
  /** Someone else is typing. */
  typing: TypingPush;
  /** People came online or went offline here; `room.online` is up to date when it fires. */
  presence: PresenceUpdate;
  /** One's read marker here moved: by this client (`markRead`, a send) or by another of one's connections. */
  unread: Unread;
  /** A delivered message was hidden by a moderator (text and attachments gone) or shown again. */
  hidden: Message;
  /** The room's rules changed (read-only, slow mode); `room.space` is up to date when it fires. */
  updated: Space;
  /** Whether one may write here changed (a mute, the room's rules, chat hours); `room.writeState` is up to date. */
  writeState: WriteState;
  /**
   * Any change to a message already delivered (after a reconnection too: the
   * room catches up from the change feed). Fires with `edited`, `deleted` and
   * `hidden` too; `room.message(id)` holds the new state when it fires.
   */
  messageChanged: MessageChange;
  /** The pinned messages changed; `room.pinned` is up to date, newest pin first. */
  pinned: Message[];
  /** "Seen by" counts changed for these messages; `room.seenCount(seq)` is up to date. */
  seen: SeenCounts;
  /** One's own reactions or votes on this message changed (`room.myReactions(id)`, `room.myVote(id)`). */
  mine: { message_id: string };
  /** Messages here that mention one and one has not read (`room.mentionCount`). */
  mentions: number;
  /** The project's chat features changed (offered reactions, who sees "seen by"); `room.features` is up to date. */
  features: ChatFeatures;
  /** The room could not be joined again after a reconnection (access withdrawn, room gone); it is left. */
  error: TwinspaceError;
}

/** What the client emits. */
export interface ClientEvents {
  /** Connected (again). Joined rooms rejoin and catch up by themselves. */
  connected: undefined;
  /** The connection dropped; Socket.IO's reason. The client reconnects by itself. */
  disconnected: string;
  /** A problem no request is waiting for: a refused connection, a failed token refresh. */
  error: TwinspaceError;
  /** The client stopped for good: `close()` was called, or the server refused it and no new token can help. */
  closed: TwinspaceError;
  /** One's read marker moved in any room, joined or not (badges for a room list). */
  unread: Unread;
  /** A message mentions one (by name, or one of `@teachers`), in any room of one's projects, joined or not. */
  mention: MentionPush;
  /** A project's teachers changed its chat features. */
  chatFeatures: ProjectChatFeatures;
}

/** What `client.forum` emits, for every forum the user may read. */
export interface ForumEvents {
  threadCreated: Thread;
  threadUpdated: Thread;
  postCreated: Post;
  postEdited: Post;
  postDeleted: Post;
  /** A post was hidden by a moderator (its text gone while hidden) or shown again. */
  postHidden: Post;
}

/** What `client.mail` emits. */
export interface MailEvents {
  /** A mail arrived: the user's own copy, in their inbox. */
  received: MailCopy;
  /** The number of unread mails in the inbox changed. */
  unread: number;
  /** A moderator removed a mail from every mailbox: drop one's copy of it. */
  removed: MailRemoved;
}

/** What `client.moderation` emits. */
export interface ModerationEvents {
  /** A new report in a project one moderates (teachers and admins). */
  reportCreated: Pushes["report:created"];
  /** A report in a project one moderates changed (decided, escalated). */
  reportUpdated: Pushes["report:updated"];
  /** One of one's own reports was handled. */
  reportHandled: Pushes["report:handled"];
  /** A report was escalated to the national support officers (support officers). */
  reportEscalated: Pushes["report:escalated"];
  /** One was muted or unmuted (one's mutes now); joined rooms update their `writeState` too. */
  muted: Pushes["moderation:muted"];
  /** A project's safeguarding settings changed. */
  safeguarding: Pushes["project:safeguarding"];
}

/** What `client.privacy` emits. */
export interface PrivacyEvents {
  /** A member of one of one's projects was erased; joined rooms of the project drop their presence too. */
  erased: Pushes["member:erased"];
}
