/**
 * The Socket.IO events of docs/protocol.md: each request's payload and ack
 * data, and each push's data. Used internally so that every emit is typed.
 */

import type {
  History,
  MailCopy,
  MailDeleted,
  MailFolder,
  MemberView,
  Message,
  PostPage,
  Post,
  PresenceUpdate,
  ProjectWithRole,
  RoomJoined,
  Space,
  Thread,
  ThreadPage,
  ThreadSummary,
  TypingPush,
  Unread,
  User,
  MailPage,
} from "./types.js";

type Empty = Record<string, never>;

/** Request event -> [payload, ack data]. */
export interface Requests {
  "me:get": [Empty, User];
  "project:list": [Empty, ProjectWithRole[]];
  "project:get": [{ project_id: string }, ProjectWithRole];
  "member:list": [{ project_id: string }, MemberView[]];
  "space:list": [{ project_id: string }, Space[]];
  "space:get": [{ space_id: string }, Space];

  "room:join": [{ room_id: string; since_seq?: number | null }, RoomJoined];
  "room:leave": [{ room_id: string }, { room_id: string }];
  "chat:send": [ChatSendPayload, Message];
  "chat:history": [
    { room_id: string; before_seq?: number | null; after_seq?: number | null; limit?: number },
    History,
  ];
  "chat:edit": [{ room_id: string; message_id: string; text: string }, Message];
  "chat:delete": [{ room_id: string; message_id: string }, Message];
  "chat:typing": [{ room_id: string }, { sent: boolean }];
  "chat:read": [{ room_id: string; seq: number }, Unread];

  "forum:thread_create": [{ forum_id: string; title: string; body: string; attachments?: string[] }, Thread];
  "forum:thread_list": [{ forum_id: string; cursor?: string | null; limit?: number }, ThreadPage];
  "forum:thread_edit": [{ thread_id: string; title?: string | null; body?: string | null }, Thread];
  "forum:thread_moderate": [{ thread_id: string; pinned?: boolean | null; locked?: boolean | null }, Thread];
  "forum:thread_delete": [{ thread_id: string }, Thread];
  "forum:thread_read": [{ thread_id: string; seq: number }, ThreadSummary];
  "forum:post_create": [
    { thread_id: string; body: string; reply_to?: string | null; attachments?: string[] },
    Post,
  ];
  "forum:post_list": [{ thread_id: string; cursor?: string | null; limit?: number }, PostPage];
  "forum:post_edit": [{ post_id: string; body: string }, Post];
  "forum:post_delete": [{ post_id: string }, Post];

  "mail:send": [MailSendPayload, MailCopy];
  "mail:list": [
    { folder?: MailFolder; project_id?: string | null; cursor?: string | null; limit?: number },
    MailPage,
  ];
  "mail:get": [{ mail_id: string }, MailCopy];
  "mail:read": [{ mail_id: string; read?: boolean }, MailCopy];
  "mail:move": [{ mail_id: string; folder: MailFolder }, MailCopy];
  "mail:delete": [{ mail_id: string }, MailDeleted];
  "mail:unread_count": [Empty, { unread: number }];
}

export type RequestEvent = keyof Requests;
export type PayloadOf<E extends RequestEvent> = Requests[E][0];
export type AckOf<E extends RequestEvent> = Requests[E][1];

export interface ChatSendPayload {
  room_id: string;
  client_id: string;
  text: string;
  reply_to?: string | null;
  attachments?: string[];
}

export interface MailSendPayload {
  project_id?: string | null;
  to?: string[] | null;
  subject?: string | null;
  body: string;
  reply_to?: string | null;
  reply_all?: boolean;
  attachments?: string[];
}

/** Push event -> data. */
export interface Pushes {
  "chat:message": Message;
  "chat:message_edited": Message;
  "chat:message_deleted": Message;
  "chat:typing": TypingPush;
  "presence:update": PresenceUpdate;
  "room:unread": Unread;
  "forum:thread_created": Thread;
  "forum:thread_updated": Thread;
  "forum:post_created": Post;
  "forum:post_edited": Post;
  "forum:post_deleted": Post;
  "mail:received": MailCopy;
  "mail:unread": { unread: number };
}

export type PushEvent = keyof Pushes;

/** The error object of a refused ack, a refused connection or a REST error body. */
export interface WireError {
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };
