/**
 * Internal mail between the members of a project, over the `mail:*`
 * events. Each person has their own copy of each mail.
 */

import { Emitter } from "./emitter.js";
import type { PushEvent, Pushes } from "./protocol.js";
import type { Transport } from "./transport.js";
import type { MailCopy, MailDeleted, MailEvents, MailFolder, MailPage } from "./types.js";

export interface NewMail {
  /** The project whose members are mailed; not needed for a reply. */
  projectId?: string;
  /** Recipients' user ids (up to 50); a reply without `to` goes to the other side. */
  to?: string[];
  /** By default, for a reply, "Re: ..." */
  subject?: string;
  body: string;
  /** The id of the mail this one answers: the reply keeps its conversation. */
  replyTo?: string;
  /** With `replyTo` and no `to`: answer everyone on the mail. */
  replyAll?: boolean;
  /** Ids of files uploaded with `client.uploadFile`. */
  attachments?: string[];
}

export interface MailListOptions {
  /** `inbox` by default. */
  folder?: MailFolder;
  /** Only this project's mail. */
  projectId?: string;
  /** The `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Up to 100; 30 by default. */
  limit?: number;
}

export class MailBox extends Emitter<MailEvents> {
  /** @internal */
  constructor(private readonly transport: Transport) {
    super();
  }

  /** Send a mail, or reply to one; resolves with the sender's copy. */
  send(mail: NewMail): Promise<MailCopy> {
    return this.transport.request("mail:send", {
      body: mail.body,
      ...(mail.projectId !== undefined ? { project_id: mail.projectId } : {}),
      ...(mail.to !== undefined ? { to: mail.to } : {}),
      ...(mail.subject !== undefined ? { subject: mail.subject } : {}),
      ...(mail.replyTo !== undefined ? { reply_to: mail.replyTo } : {}),
      ...(mail.replyAll !== undefined ? { reply_all: mail.replyAll } : {}),
      ...(mail.attachments !== undefined ? { attachments: mail.attachments } : {}),
    });
  }

  /** A folder, newest first; page on with `next_cursor`. */
  list(options: MailListOptions = {}): Promise<MailPage> {
    return this.transport.request("mail:list", {
      ...(options.folder !== undefined ? { folder: options.folder } : {}),
      ...(options.projectId !== undefined ? { project_id: options.projectId } : {}),
      ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    }, { repeatable: true });
  }

  /** One's copy of a mail. */
  get(mailId: string): Promise<MailCopy> {
    return this.transport.request("mail:get", { mail_id: mailId }, { repeatable: true });
  }

  /** Mark one's copy read (or unread with `false`). */
  read(mailId: string, read = true): Promise<MailCopy> {
    return this.transport.request("mail:read", { mail_id: mailId, read }, { repeatable: true });
  }

  /** Archive one's copy, or put it back (`inbox`). */
  move(mailId: string, folder: MailFolder): Promise<MailCopy> {
    return this.transport.request("mail:move", { mail_id: mailId, folder }, { repeatable: true });
  }

  /** Delete one's own copy; the others keep theirs. */
  delete(mailId: string): Promise<MailDeleted> {
    return this.transport.request("mail:delete", { mail_id: mailId });
  }

  /** How many mails in the inbox are unread. */
  async unreadCount(): Promise<number> {
    const answer = await this.transport.request("mail:unread_count", {}, { repeatable: true });
    return answer.unread;
  }

  /** @internal */
  handlePush<E extends PushEvent>(event: E, data: Pushes[E]): boolean {
    if (event === "mail:received") this.emit("received", data as MailCopy);
    else if (event === "mail:unread") this.emit("unread", (data as Pushes["mail:unread"]).unread);
    else if (event === "mail:removed") this.emit("removed", data as Pushes["mail:removed"]);
    else return false;
    return true;
  }
}
