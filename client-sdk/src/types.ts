/**
 * The data the server sends, as described in the "Data types" section of
 * docs/protocol.md. They are generated from the server's models into
 * `wire.ts` (see `server/sdkgen.py`); this module names them for the
 * package. Field names are the wire's (snake_case); timestamps are ISO 8601
 * strings.
 */

import type { TwinspaceError } from "./errors.js";
import type { MailCopy, MemberView, Message, Post, PresenceUpdate, Project, Space, Thread, TypingPush, Unread, User } from "./wire.js";

export type {
  Attachment,
  Correspondent,
  ErrorCode,
  FileRecord,
  FileRef,
  History,
  Mail,
  MailCopy,
  MailDeleted,
  MailPage,
  MailUnread,
  Member,
  MemberView,
  Message,
  Post,
  PostPage,
  PresenceEntry,
  PresenceUpdate,
  Project,
  ProjectWithRole,
  RoomJoined,
  RoomLeft,
  Space,
  Thread,
  ThreadPage,
  ThreadSummary,
  TypingAck,
  TypingPush,
  Unread,
  User,
} from "./wire.js";

/** A person's role on the platform, as the portal's token says. */
export type PlatformRole = User["role"];
/** A member's role in a project. */
export type MemberRole = MemberView["role"];
/** Who may read a space: every member, teachers only, or visitors too. */
export type Visibility = Space["visibility"];
export type ProjectStatus = Project["status"];
export type MailFolder = MailCopy["folder"];

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
}

/** What `client.forum` emits, for every forum the user may read. */
export interface ForumEvents {
  threadCreated: Thread;
  threadUpdated: Thread;
  postCreated: Post;
  postEdited: Post;
  postDeleted: Post;
}

/** What `client.mail` emits. */
export interface MailEvents {
  /** A mail arrived: the user's own copy, in their inbox. */
  received: MailCopy;
  /** The number of unread mails in the inbox changed. */
  unread: number;
}
