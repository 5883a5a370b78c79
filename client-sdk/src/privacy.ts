/**
 * Privacy: one person's data exported (a ZIP, over REST) or erased (with a
 * confirmation step), a project's retention periods, and a support
 * officer's hold on a project that would otherwise be deleted after its
 * grace period. The `member:erased` push comes as a `client.privacy` event,
 * and joined rooms drop the erased person's presence.
 *
 * Who may do what follows the project's policy (docs/permissions.md): admins
 * of the project and support officers export anyone's data and erase a
 * member; every member exports their own data; admins set the retention
 * periods; support officers hold a project. A refused call rejects with a
 * `permission.denied` ForbiddenError.
 */

import { Emitter } from "./emitter.js";
import { ClientCodes, clientError } from "./errors.js";
import type { PushEvent, Pushes } from "./protocol.js";
import type { Rest, RestRequest } from "./rest.js";
import type { Transport } from "./transport.js";
import type { ErasureDone, ErasureRequest, PrivacyEvents, Project, Retention } from "./types.js";

/** A project's retention periods, in days (1 to 3,650); null keeps that kind until the project ends. */
export interface RetentionChanges {
  /** Chat messages: past it, a message becomes a tombstone (its seq stays; its text, author and files go). */
  chatDays?: number | null;
  /** Forum posts: past it, a post becomes a tombstone; a thread whose posts all expired goes. */
  forumDays?: number | null;
  /** Mail: past it, a mail goes with every copy. */
  mailDays?: number | null;
  /**
   * Uploads never attached to anything. A file attached to a message, post or
   * mail goes with it, and stays while that item is kept, however old.
   */
  fileDays?: number | null;
}

export interface ExportOptions {
  /** Cancels the download; the promise rejects with `client.aborted`. */
  signal?: AbortSignal;
}

export interface DownloadExportOptions extends ExportOptions {
  /** The saved file's name; by default the server's (`Content-Disposition`), else `twinspace-export-<user>.zip`. */
  filename?: string;
}

/** An export as it arrives: the ZIP's bytes as a stream, for writing to disk without holding it in memory. */
export interface ExportStream {
  stream: ReadableStream<Uint8Array>;
  /** The server's name for the file, or `twinspace-export-<user>.zip`. */
  filename: string;
  /** The length in bytes, when the server says it (a streamed ZIP usually does not). */
  size: number | null;
}

/** What `downloadExport` saved. */
export interface SavedExport {
  filename: string;
  size: number;
}

const RETENTION_FIELDS = ["chat_retention_days", "forum_retention_days", "mail_retention_days", "file_retention_days"] as const;
type RetentionField = (typeof RETENTION_FIELDS)[number];

const PUSH_EVENTS: Partial<Record<PushEvent, keyof PrivacyEvents>> = {
  "member:erased": "erased",
};

/** @internal The pushes `client.privacy` re-emits. */
export function isPrivacyPush(event: string): boolean {
  return event in PUSH_EVENTS;
}

export class Privacy extends Emitter<PrivacyEvents> {
  /** @internal */
  constructor(private readonly transport: Transport, private readonly rest: Rest) {
    super();
  }

  // ---- export (the GDPR's access and portability) ------------------------------------

  /**
   * Everything the server holds about one member of a project, as one ZIP
   * (a JSON file per kind and the files they uploaded; docs/protocol.md,
   * "Export"): admins of the project and support officers. The request is
   * audited. In a page, {@link downloadExport} saves it.
   */
  async exportMember(projectId: string, userId: string, options: ExportOptions = {}): Promise<Blob> {
    const { request, response } = await this.exportResponse(projectId, userId, options);
    return this.rest.blob(request, response);
  }

  /** One's own data in a project, as a ZIP (every member). */
  async exportMine(projectId: string, options: ExportOptions = {}): Promise<Blob> {
    return this.exportMember(projectId, await this.myId(), options);
  }

  /**
   * The export as a stream of bytes (Node, a portal's server): the memory
   * it takes does not grow with its size. Without `userId`, one's own.
   */
  async exportStream(projectId: string, userId?: string, options: ExportOptions = {}): Promise<ExportStream> {
    const user = userId ?? await this.myId();
    const { response } = await this.exportResponse(projectId, user, options);
    if (!response.body) {
      throw clientError(this.rest.language, ClientCodes.badResponse, { request: "export", status: response.status },
        response.status);
    }
    const length = Number(response.headers.get("Content-Length"));
    return { stream: response.body, filename: filenameOf(response, user),
      size: Number.isFinite(length) && length > 0 ? length : null };
  }

  /**
   * In a browser page: download a member's export (without `userId`, one's
   * own) and save it as a file, through an object URL and a link's
   * `download` attribute. Resolves once the browser has the file.
   */
  async downloadExport(projectId: string, userId?: string, options: DownloadExportOptions = {}): Promise<SavedExport> {
    const page = globalThis as unknown as { document?: Document; URL: typeof URL };
    if (!page.document || typeof page.URL.createObjectURL !== "function") {
      throw new TypeError("downloadExport saves a file from a browser page; elsewhere use exportMember or exportStream.");
    }
    const user = userId ?? await this.myId();
    const { request, response } = await this.exportResponse(projectId, user, options);
    const blob = await this.rest.blob(request, response);
    const filename = options.filename ?? filenameOf(response, user);
    const url = page.URL.createObjectURL(blob);
    const link = page.document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    page.document.body.append(link);
    link.click();
    link.remove();
    // The browser reads the URL after the click; give it time before letting the bytes go.
    setTimeout(() => page.URL.revokeObjectURL(url), 60_000);
    return { filename, size: blob.size };
  }

  // ---- erasure (the right to erasure) ------------------------------------------------

  /**
   * The first step of erasing a member (admins and support officers): what
   * would go (`summary`: messages, threads, posts, mails sent, mail copies, files, reports) and the
   * `confirmation` that {@link confirmErasure} must give back before
   * `expires_at`. Nothing is erased yet.
   */
  requestErasure(projectId: string, userId: string): Promise<ErasureRequest> {
    return this.transport.request("member:erase_request", { project_id: projectId, user_id: userId }, { repeatable: true });
  }

  /**
   * Erase the member: what they wrote becomes tombstones or goes, their
   * files are deleted, their profile becomes "former member", their
   * membership, presence and read markers go, and their tokens stop working
   * for this project at once. What others wrote stays. The project's members
   * get `erased`. Not repeated after a dropped connection: check the member
   * list before trying again.
   */
  confirmErasure(projectId: string, userId: string, confirmation: string): Promise<ErasureDone> {
    return this.transport.request("member:erase_confirm", { project_id: projectId, user_id: userId, confirmation });
  }

  // ---- retention and projects that end -------------------------------------------------

  /** A project's retention periods and whether a support officer holds it (from the project). */
  async retention(projectId: string): Promise<Retention> {
    const { project } = await this.transport.request("project:get", { project_id: projectId }, { repeatable: true });
    return {
      chat_retention_days: project.chat_retention_days,
      forum_retention_days: project.forum_retention_days,
      mail_retention_days: project.mail_retention_days,
      file_retention_days: project.file_retention_days,
      held: project.held,
      hold_reason: project.hold_reason,
      delete_after: project.delete_after,
    };
  }

  /**
   * Change a project's retention periods (admins), over
   * `PATCH /projects/{id}/settings`; periods left out stay as they are.
   * Resolves with the project.
   */
  async setRetention(projectId: string, changes: RetentionChanges): Promise<Project> {
    const given: Partial<Record<RetentionField, number | null>> = {
      ...(changes.chatDays !== undefined ? { chat_retention_days: changes.chatDays } : {}),
      ...(changes.forumDays !== undefined ? { forum_retention_days: changes.forumDays } : {}),
      ...(changes.mailDays !== undefined ? { mail_retention_days: changes.mailDays } : {}),
      ...(changes.fileDays !== undefined ? { file_retention_days: changes.fileDays } : {}),
    };
    // Periods left out stay as they are on the server (a partial update).
    return this.rest.json<Project>({
      method: "PATCH",
      path: `/projects/${encodeURIComponent(projectId)}/settings`,
      body: new TextEncoder().encode(JSON.stringify(given)),
      headers: { "Content-Type": "application/json" },
    });
  }

  /**
   * Hold a project (support officers): an archived project that is held is
   * not deleted after its grace period, until the hold is lifted
   * (`held: false`). `reason` is kept with it (a complaint, a legal request).
   */
  holdProject(projectId: string, held: boolean, reason?: string): Promise<Project> {
    return this.transport.request("project:hold", {
      project_id: projectId,
      held,
      ...(reason !== undefined ? { reason } : {}),
    }, { repeatable: true });
  }

  /** @internal */
  handlePush<E extends PushEvent>(event: E, data: Pushes[E]): boolean {
    const name = PUSH_EVENTS[event];
    if (name === undefined) return false;
    this.emit(name, data as PrivacyEvents[typeof name]);
    return true;
  }

  private async exportResponse(projectId: string, userId: string, options: ExportOptions):
    Promise<{ request: RestRequest; response: Response }> {
    const request: RestRequest = {
      method: "GET",
      path: `/projects/${encodeURIComponent(projectId)}/members/${encodeURIComponent(userId)}/export`,
      unbounded: true,
      signal: options.signal,
    };
    return { request, response: await this.rest.fetch(request) };
  }

  private async myId(): Promise<string> {
    return (await this.transport.request("me:get", {}, { repeatable: true })).id;
  }
}

/** The file name the server gives (`Content-Disposition`), or one made from the user's id. */
function filenameOf(response: Response, userId: string): string {
  const header = response.headers.get("Content-Disposition") ?? "";
  const encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (encoded?.[1]) {
    try {
      return decodeURIComponent(encoded[1].trim());
    } catch {
      // a badly encoded name: use the plain one
    }
  }
  const plain = /filename\s*=\s*"([^"]+)"|filename\s*=\s*([^;]+)/i.exec(header);
  const name = (plain?.[1] ?? plain?.[2])?.trim();
  return name || `twinspace-export-${userId.replace(/[^\w.-]+/g, "_")}.zip`;
}
