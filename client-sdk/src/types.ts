/**
 * The data the server sends, as described in the "Data types" section of
 * docs/protocol.md. Field names are the wire's (snake_case); timestamps are
 * ISO 8601 strings.
 */

import type { TwinspaceError } from "./errors.js";

export type PlatformRole = "teacher" | "pupil" | "visitor" | "support";
export type MemberRole = "admin" | "teacher" | "pupil" | "visitor";
export type Visibility = "members" | "teachers" | "visitors";
export type ProjectStatus = "pending" | "validated" | "rejected" | "archived";
export type MailFolder = "inbox" | "sent" | "archived";

/** Who is acting, as the portal's token says. */
export interface User {
  id: string;
  name: string;
  role: PlatformRole;
  school: string;
  country: string | null;
  lang: string;
}

export interface Project {
  id: string;
  title: string;
  description: string;
  subject: string;
  age_min: number;
  age_max: number;
  languages: string[];
  status: ProjectStatus;
  status_reason: string | null;
  chat_retention_days: number | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** A project as one of its members sees it in their list. */
export interface ProjectWithRole {
  project: Project;
  role: MemberRole | "support";
}

/** A member as another member sees them. */
export interface MemberView {
  role: MemberRole;
  display_name: string;
  user_id: string | null;
  school: string | null;
  country: string | null;
  email: string | null;
  joined_at: string | null;
}

/** A chat room or a forum inside a project. */
export interface Space {
  id: string;
  project_id: string;
  kind: "chat" | "forum";
  name: string;
  visibility: Visibility;
  default_key: string | null;
  created_by: string;
  created_at: string;
}

/** A file as a message, post or mail lists it. */
export interface FileRef {
  id: string;
  name: string;
  size: number;
  content_type: string;
}

/** A chat message. A deleted message stays as a tombstone: same `seq`, `text` null, `deleted` true. */
export interface Message {
  id: string;
  room_id: string;
  project_id: string;
  seq: number;
  client_id: string;
  author_id: string;
  author_name: string;
  text: string | null;
  reply_to: string | null;
  attachments: FileRef[];
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  deleted_by: string | null;
}

export interface History {
  messages: Message[];
  has_more: boolean;
}

export interface PresenceEntry {
  user_id: string;
  name: string;
  role: string;
}

/** Who came online and who went offline in a room since the last update. */
export interface PresenceUpdate {
  room_id: string;
  joined: PresenceEntry[];
  left: string[];
}

export interface TypingPush {
  room_id: string;
  user: PresenceEntry;
}

/** One person's read state in one room. */
export interface Unread {
  room_id: string;
  unread: number;
  last_read_seq: number;
  last_seq: number;
}

/** What `room:join` answers. */
export interface RoomJoined {
  room: Space;
  online: PresenceEntry[];
  unread: number;
  last_read_seq: number;
  last_seq: number;
  messages: Message[];
  has_more: boolean;
}

/** A forum thread. Its opening text is `body`; replies are posts numbered from 1. */
export interface Thread {
  id: string;
  forum_id: string;
  project_id: string;
  title: string;
  body: string;
  body_html: string;
  attachments: FileRef[];
  author_id: string;
  author_name: string;
  created_at: string;
  edited_at: string | null;
  last_activity_at: string;
  post_count: number;
  pinned: boolean;
  locked: boolean;
  deleted: boolean;
}

export interface ThreadSummary {
  thread: Thread;
  unread: number;
  last_read_seq: number;
}

export interface ThreadPage {
  threads: ThreadSummary[];
  next_cursor: string | null;
}

/** A reply in a thread. A deleted post stays as a tombstone: same seq, `body` null. */
export interface Post {
  id: string;
  thread_id: string;
  forum_id: string;
  project_id: string;
  seq: number;
  body: string | null;
  body_html: string | null;
  reply_to: string | null;
  attachments: FileRef[];
  author_id: string;
  author_name: string;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  deleted_by: string | null;
}

export interface PostPage {
  thread: Thread;
  posts: Post[];
  next_cursor: string | null;
  last_read_seq: number;
}

export interface Correspondent {
  user_id: string;
  name: string;
}

/** What was sent. Never changes; each person's state is in their {@link MailCopy}. */
export interface Mail {
  id: string;
  project_id: string;
  conversation_id: string;
  reply_to: string | null;
  sender: Correspondent;
  to: Correspondent[];
  subject: string;
  body: string;
  body_html: string;
  attachments: FileRef[];
  created_at: string;
}

/** One person's copy of a mail: the sender's in `sent`, each recipient's in `inbox` at first. */
export interface MailCopy {
  mail: Mail;
  owner_id: string;
  folder: MailFolder;
  read: boolean;
}

export interface MailPage {
  copies: MailCopy[];
  next_cursor: string | null;
}

export interface MailDeleted {
  mail_id: string;
  deleted: boolean;
}

/** What a file is attached to; it decides who may read the file. */
export interface Attachment {
  kind: "message" | "thread" | "post" | "mail";
  id: string;
  space_id: string | null;
}

export interface FileRecord {
  id: string;
  project_id: string;
  owner_id: string;
  owner_name: string;
  name: string;
  size: number;
  content_type: string;
  sha256: string;
  created_at: string;
  attached_to: Attachment | null;
}

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
