/**
 * Safeguarding: reports, the moderation queue, moderation actions
 * (hiding, muting, room rules), a project's safeguarding settings,
 * supervised mail and the audit log, over the `report:*`, `moderation:*`,
 * `room:configure`, `project:safeguard*`, `chat:hide`, `forum:post_hide`,
 * `mail:supervised|conversation|remove` and `audit:list` events. Pushes
 * about reports, one's mutes and the settings come as `client.moderation`
 * events.
 *
 * Anyone may report; what else one may do follows the project's policy
 * (docs/permissions.md): teachers and admins moderate, admins and support
 * officers read the audit log. A refused call rejects with a
 * `permission.denied` ForbiddenError.
 */

import { Emitter } from "./emitter.js";
import type { PushEvent, Pushes } from "./protocol.js";
import type { Transport } from "./transport.js";
import type {
  AuditPage,
  ChatHours,
  Mail,
  MailConversation,
  MailPolicy,
  Message,
  ModerationEvents,
  MuteState,
  MyReport,
  MyReportPage,
  Post,
  ReportDecisionState,
  ReportPage,
  ReportReason,
  ReportState,
  ReportView,
  Safeguarding,
  Space,
  SupervisedMailPage,
  WordFilterMode,
} from "./types.js";

/**
 * What is reported: a chat message (with its room), a forum thread or post,
 * a mail (one's copy of it) or a file, by id.
 */
export type ReportTarget =
  | { kind: "message"; id: string; roomId: string }
  | { kind: "thread" | "post" | "mail" | "file"; id: string };

export interface ReportOptions {
  /** What the reporter adds (up to 1,000 characters). */
  note?: string;
  /** Serious: the national support officers are told at once, not only the project's teachers. */
  serious?: boolean;
}

export interface ReportListOptions {
  /** Only reports in this state (every state by default). */
  state?: ReportState;
  /** The `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Up to 100; 30 by default. */
  limit?: number;
}

export interface CursorOptions {
  /** The `next_cursor` of the previous page. */
  cursor?: string | null;
  limit?: number;
}

export interface Decision {
  /** `resolved` (something was done) or `dismissed` (nothing needed doing). */
  state: ReportDecisionState;
  /** What was done, in a word: `hidden`, `deleted`, `muted`, `warned`… */
  action?: string;
  /** Why; shown to the other moderators and kept with the report. */
  note?: string;
}

export interface MuteOptions {
  /** Only in this room; by default in the whole project. */
  roomId?: string;
}

export interface RoomRules {
  /** Announcements only: pupils read, teachers write. */
  readOnly?: boolean;
  /** The least seconds between two of a pupil's messages (0: off; up to 3,600). */
  slowModeSecs?: number;
}

export interface SafeguardingChanges {
  /** When pupils may write in chat (null: at any time). */
  chatHours?: ChatHours | null;
  /** `off`, `block` (refused with content.blocked) or `flag` (sent, and reported automatically). */
  wordFilter?: WordFilterMode;
  /** The teachers' own words, on top of the shipped lists (they replace the previous list). */
  customWords?: string[];
  /** Words of the shipped lists this project does not filter (everyday words some lists hold). */
  allowedWords?: string[];
  /** Whom pupils may mail: `teachers_only`, or project members under the teachers' supervision. */
  mailPolicy?: MailPolicy;
}

export interface AuditFilters {
  /** Only what this person did. */
  actorId?: string;
  /** Only this action, e.g. `member.mute`, `report.resolve`. */
  action?: string;
  /** Only what was done to this target (a member's, a message's, a report's id…). */
  targetId?: string;
  cursor?: string | null;
  /** Up to 200; 50 by default. */
  limit?: number;
}

const PUSH_EVENTS: Partial<Record<PushEvent, keyof ModerationEvents>> = {
  "report:created": "reportCreated",
  "report:updated": "reportUpdated",
  "report:handled": "reportHandled",
  "report:escalated": "reportEscalated",
  "moderation:muted": "muted",
  "project:safeguarding": "safeguarding",
};

/** @internal The pushes `client.moderation` re-emits. */
export function isModerationPush(event: string): boolean {
  return event in PUSH_EVENTS;
}

export class Moderation extends Emitter<ModerationEvents> {
  /** @internal */
  constructor(private readonly transport: Transport) {
    super();
  }

  // ---- reports -----------------------------------------------------------------

  /**
   * Report something to the project's teachers. Resolves with one's own view
   * of the report (its state; later a `reportHandled` event says what became
   * of it). Reporting the same item twice is refused (`report.duplicate`).
   */
  report(item: ReportTarget, reason: ReportReason, options: ReportOptions = {}): Promise<MyReport> {
    return this.transport.request("report:create", {
      kind: item.kind,
      item_id: item.id,
      ...(item.kind === "message" ? { room_id: item.roomId } : {}),
      reason,
      ...(options.note !== undefined ? { note: options.note } : {}),
      ...(options.serious !== undefined ? { serious: options.serious } : {}),
    });
  }

  /** The reports one made, newest first, each with its state. */
  myReports(options: CursorOptions = {}): Promise<MyReportPage> {
    return this.transport.request("report:mine", page(options), { repeatable: true });
  }

  /** A project's moderation queue (teachers and admins): each report with the item as reported, its context and who reported it. */
  reports(projectId: string, options: ReportListOptions = {}): Promise<ReportPage> {
    return this.transport.request("report:list", {
      project_id: projectId,
      ...(options.state !== undefined ? { state: options.state } : {}),
      ...page(options),
    }, { repeatable: true });
  }

  /** Reports escalated to the national support officers (support officers only). */
  escalatedReports(options: CursorOptions = {}): Promise<ReportPage> {
    return this.transport.request("report:escalated", page(options), { repeatable: true });
  }

  getReport(reportId: string): Promise<ReportView> {
    return this.transport.request("report:get", { report_id: reportId }, { repeatable: true });
  }

  /** Close a report: resolved with an action, or dismissed with a note. A closed report refuses a second decision (`report.bad_state`). */
  decideReport(reportId: string, decision: Decision): Promise<ReportView> {
    return this.transport.request("report:decide", {
      report_id: reportId,
      state: decision.state,
      ...(decision.action !== undefined ? { action: decision.action } : {}),
      ...(decision.note !== undefined ? { note: decision.note } : {}),
    });
  }

  // ---- restrictions ----------------------------------------------------------------

  /**
   * Mute a pupil for `minutes` (up to 43,200), in one room or the whole
   * project: they read but cannot write, on every instance at once; their
   * sends are refused with `chat.muted`. Only pupils can be muted
   * (`member.not_mutable`).
   */
  mute(projectId: string, userId: string, minutes: number, options: MuteOptions = {}): Promise<MuteState> {
    return this.transport.request("moderation:mute", {
      project_id: projectId,
      user_id: userId,
      minutes,
      ...(options.roomId !== undefined ? { room_id: options.roomId } : {}),
    }, { repeatable: true });
  }

  /** End a mute early (in that room, or the project-wide one). */
  unmute(projectId: string, userId: string, options: MuteOptions = {}): Promise<MuteState> {
    return this.transport.request("moderation:unmute", {
      project_id: projectId,
      user_id: userId,
      ...(options.roomId !== undefined ? { room_id: options.roomId } : {}),
    }, { repeatable: true });
  }

  /** A room's rules: read-only (announcements) and slow mode. Everyone in it gets `room:updated`. */
  configureRoom(roomId: string, rules: RoomRules): Promise<Space> {
    return this.transport.request("room:configure", {
      room_id: roomId,
      ...(rules.readOnly !== undefined ? { read_only: rules.readOnly } : {}),
      ...(rules.slowModeSecs !== undefined ? { slow_mode_secs: rules.slowModeSecs } : {}),
    }, { repeatable: true });
  }

  /** A project's safeguarding settings (the teachers' own words only for staff). */
  safeguarding(projectId: string): Promise<Safeguarding> {
    return this.transport.request("project:safeguarding", { project_id: projectId }, { repeatable: true });
  }

  /** Change a project's safeguarding settings (admins and teachers); fields left out stay as they are. */
  setSafeguarding(projectId: string, changes: SafeguardingChanges): Promise<Safeguarding> {
    return this.transport.request("project:safeguard", {
      project_id: projectId,
      ...(changes.chatHours !== undefined ? { chat_hours: changes.chatHours } : {}),
      ...(changes.wordFilter !== undefined ? { word_filter: changes.wordFilter } : {}),
      ...(changes.customWords !== undefined ? { custom_words: changes.customWords } : {}),
      ...(changes.allowedWords !== undefined ? { allowed_words: changes.allowedWords } : {}),
      ...(changes.mailPolicy !== undefined ? { mail_policy: changes.mailPolicy } : {}),
    }, { repeatable: true });
  }

  // ---- hiding and removing -----------------------------------------------------------

  /** Hide a chat message from the room (or show it again); the room gets it without text or attachments. */
  hideMessage(roomId: string, messageId: string, hidden = true): Promise<Message> {
    return this.transport.request("chat:hide", { room_id: roomId, message_id: messageId, hidden }, { repeatable: true });
  }

  /** Hide a forum post from its readers (or show it again). */
  hidePost(postId: string, hidden = true): Promise<Post> {
    return this.transport.request("forum:post_hide", { post_id: postId, hidden }, { repeatable: true });
  }

  // ---- supervised mail ---------------------------------------------------------------

  /** Mail that pupils of the project sent or received, newest first (teachers of their schools). */
  supervisedMail(projectId: string, options: CursorOptions = {}): Promise<SupervisedMailPage> {
    return this.transport.request("mail:supervised", { project_id: projectId, ...page(options) }, { repeatable: true });
  }

  /** The supervised mails of one conversation, oldest first. */
  conversation(projectId: string, conversationId: string): Promise<MailConversation> {
    return this.transport.request("mail:conversation", { project_id: projectId, conversation_id: conversationId },
      { repeatable: true });
  }

  /** Remove a mail from every copy's mailbox; each owner gets `mail:removed`. */
  removeMail(mailId: string): Promise<Mail> {
    return this.transport.request("mail:remove", { mail_id: mailId });
  }

  // ---- the audit log -------------------------------------------------------------------

  /** The project's audit log, newest first, paged and filtered (admins and support officers). */
  auditLog(projectId: string, filters: AuditFilters = {}): Promise<AuditPage> {
    return this.transport.request("audit:list", {
      project_id: projectId,
      ...(filters.actorId !== undefined ? { actor_id: filters.actorId } : {}),
      ...(filters.action !== undefined ? { action: filters.action } : {}),
      ...(filters.targetId !== undefined ? { target_id: filters.targetId } : {}),
      ...page(filters),
    }, { repeatable: true });
  }

  /** @internal */
  handlePush<E extends PushEvent>(event: E, data: Pushes[E]): boolean {
    const name = PUSH_EVENTS[event];
    if (name === undefined) return false;
    this.emit(name, data as ModerationEvents[typeof name]);
    return true;
  }
}

function page(options: CursorOptions): { cursor?: string | null; limit?: number } {
  return {
    ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
}
