/**
 * The client: one connection to a Twinspace server, its rooms, forum and
 * mail, and the REST calls for files.
 */

import { Emitter } from "./emitter.js";
import { closedError, type TwinspaceError } from "./errors.js";
import { pickLanguage } from "./messages.js";
import { Forum } from "./forum.js";
import { MailBox } from "./mail.js";
import { Moderation, isModerationPush } from "./moderation.js";
import { Privacy, isPrivacyPush } from "./privacy.js";
import type { PushEvent, Pushes } from "./protocol.js";
import { Rest } from "./rest.js";
import { Room, type JoinOptions } from "./room.js";
import { search, searchPager, type SearchOptions, type SearchPager } from "./search.js";
import { TokenSource, type GetToken } from "./token.js";
import { Transport, type TransportName } from "./transport.js";
import { uploadFile, type UploadData, type UploadOptions } from "./upload.js";
import type {
  ChatFeatures,
  ClientEvents,
  MentionPush,
  ProjectChatFeatures,
  FileRecord,
  MemberView,
  ProjectWithRole,
  SearchPage,
  Space,
  Unread,
  User,
} from "./types.js";

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_SEND_ACK_TIMEOUT_MS = 10_000;
const DEFAULT_RECONNECT_DELAY_MS = 500;
const DEFAULT_RECONNECT_DELAY_MAX_MS = 5_000;

interface BaseOptions {
  /**
   * The server's address, e.g. `https://twinspace.example.org` (a path below it
   * when the server is mounted there: `https://portal.example.org/twinspace`).
   */
  url: string;
  /**
   * The language of the SDK's own error messages (`client.*`): `en`, `fr`, `de`, `it`, `es` or `pl` (a
   * regional tag such as `de-AT` counts as its language; any other, English). Without it, the browser's
   * `navigator.language`; English outside a browser. It is sent to the server too, whose messages follow
   * the token's `lang`, then this.
   */
  lang?: string;
  /** How long a request waits for its answer, connecting included (10 s). */
  requestTimeoutMs?: number;
  /** How long a send waits for its ack before it is sent again with the same client_id (10 s). */
  sendAckTimeoutMs?: number;
  /** Socket.IO transports, in order of preference (by default long-polling, upgraded to WebSocket). */
  transports?: TransportName[];
  /** The first reconnection delay (0.5 s), doubling up to `reconnectDelayMaxMs` (5 s). */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Connect at once (default); with false, call `connect()`. */
  autoConnect?: boolean;
}

/**
 * With `token`, the client uses that token until the server refuses it. With
 * `getToken`, it asks the portal for a token when it connects, shortly before
 * the token expires, and whenever the server refuses it.
 */
export type ClientOptions = BaseOptions & (
  | { token: string; getToken?: undefined }
  | { getToken: GetToken; token?: undefined }
);

export type ClientState = "connecting" | "connected" | "reconnecting" | "closed";

export function createClient(options: ClientOptions): TwinspaceClient {
  return new TwinspaceClient(options);
}

export class TwinspaceClient extends Emitter<ClientEvents> {
  /** Threads and posts. */
  readonly forum: Forum;
  /** Internal mail. */
  readonly mail: MailBox;
  /** Reports, the moderation queue, moderation actions, safeguarding settings, supervised mail, the audit log. */
  readonly moderation: Moderation;
  /** One person's data exported or erased, a project's retention periods, a support officer's hold. */
  readonly privacy: Privacy;
  private readonly transport: Transport;
  private readonly rest: Rest;
  private readonly rooms = new Map<string, Room>();
  private readonly joining = new Map<string, Promise<Room>>();
  private readonly newRoom: (roomId: string) => Room;
  private readonly requestTimeoutMs: number;
  private connectionState: ClientState = "connecting";

  constructor(options: ClientOptions) {
    super();
    if (!options.token && typeof options.getToken !== "function") {
      throw new TypeError("createClient: give a token or a getToken function.");
    }
    const { origin, basePath } = address(options.url);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const tokens = new TokenSource({
      token: options.token,
      getToken: options.getToken,
      onRefreshError: (error) => this.emit("error", error),
      language: pickLanguage(options.lang),
    });
    this.transport = new Transport({
      origin,
      path: `${basePath}/socket.io/`,
      tokens,
      lang: options.lang,
      transports: options.transports,
      requestTimeoutMs: this.requestTimeoutMs,
      reconnectDelayMs: options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS,
      reconnectDelayMaxMs: options.reconnectDelayMaxMs ?? DEFAULT_RECONNECT_DELAY_MAX_MS,
    });
    this.rest = new Rest({ base: `${origin}${basePath}/api/v1`, tokens, lang: options.lang, timeoutMs: this.requestTimeoutMs });
    this.forum = new Forum(this.transport);
    this.mail = new MailBox(this.transport);
    this.moderation = new Moderation(this.transport);
    this.privacy = new Privacy(this.transport, this.rest);

    const roomHost = {
      transport: this.transport,
      sendAckTimeoutMs: options.sendAckTimeoutMs ?? DEFAULT_SEND_ACK_TIMEOUT_MS,
      forget: (room: Room) => {
        if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
      },
      unreadChanged: (unread: Unread) => this.emit("unread", unread),
    };
    this.newRoom = (roomId) => new Room(roomHost, roomId);

    this.transport.on("connected", (epoch) => {
      this.connectionState = "connected";
      this.emit("connected", undefined);
      for (const room of [...this.rooms.values()]) room.resume(epoch);
    });
    this.transport.on("disconnected", (reason) => {
      if (this.connectionState === "closed") return;
      this.connectionState = "reconnecting";
      for (const room of this.rooms.values()) room.suspend();
      this.emit("disconnected", reason);
    });
    this.transport.on("error", (error) => this.emit("error", error));
    this.transport.on("closed", (error) => this.shutdown(error));
    this.transport.on("push", ({ event, data }) => this.route(event as PushEvent, data as Pushes[PushEvent]));

    if (options.autoConnect !== false) this.connect();
  }

  // ---- connection ----------------------------------------------------------------

  get state(): ClientState {
    return this.connectionState;
  }

  get connected(): boolean {
    return this.transport.connected;
  }

  connect(): void {
    this.transport.connect();
  }

  /** Resolves once connected (at once when already); rejects after `timeoutMs` or when the client closes. */
  ready(timeoutMs: number = this.requestTimeoutMs): Promise<void> {
    return this.transport.whenConnected(Date.now() + timeoutMs, "the connection");
  }

  /** Disconnect for good. Waiting requests and sends reject with `client.closed`. */
  close(): void {
    this.transport.close(closedError(this.transport.language));
  }

  // ---- people, projects, spaces ----------------------------------------------------------

  /** The user the token speaks for. */
  me(): Promise<User> {
    return this.transport.request("me:get", {}, { repeatable: true });
  }

  /** The user's projects, each with their role in it. */
  listProjects(): Promise<ProjectWithRole[]> {
    return this.transport.request("project:list", {}, { repeatable: true });
  }

  getProject(projectId: string): Promise<ProjectWithRole> {
    return this.transport.request("project:get", { project_id: projectId }, { repeatable: true });
  }

  listMembers(projectId: string): Promise<MemberView[]> {
    return this.transport.request("member:list", { project_id: projectId }, { repeatable: true });
  }

  /** What a project's chat offers: the reactions offered, and who sees "seen by". */
  chatFeatures(projectId: string): Promise<ChatFeatures> {
    return this.transport.request("project:chat_features", { project_id: projectId }, { repeatable: true });
  }

  /**
   * Change a project's chat features (teachers); what is left out stays as it
   * is. The members get `chatFeatures`, and joined rooms a `features` event.
   */
  setChatFeatures(projectId: string, changes: Partial<ChatFeatures>): Promise<ChatFeatures> {
    return this.transport.request("project:chat_features", {
      project_id: projectId,
      ...(changes.reactions !== undefined ? { reactions: changes.reactions } : {}),
      ...(changes.seen_by !== undefined ? { seen_by: changes.seen_by } : {}),
    }, { repeatable: true });
  }

  /** The project's chat rooms and forums the user may read. */
  listSpaces(projectId: string): Promise<Space[]> {
    return this.transport.request("space:list", { project_id: projectId }, { repeatable: true });
  }

  getSpace(spaceId: string): Promise<Space> {
    return this.transport.request("space:get", { space_id: spaceId }, { repeatable: true });
  }

  // ---- chat ------------------------------------------------------------------------

  /**
   * Join a chat room: resolves once joined, with `room.recent` holding the latest
   * messages (or, with `sinceSeq`, every message after it). Joining a room
   * already joined gives the same Room.
   */
  joinRoom(roomId: string, options: JoinOptions = {}): Promise<Room> {
    const joined = this.rooms.get(roomId);
    if (joined) return this.joining.get(roomId) ?? Promise.resolve(joined);
    if (this.transport.closed) return Promise.reject(closedError(this.transport.language));
    const room = this.newRoom(roomId);
    this.rooms.set(roomId, room);
    const started = room.start(options, this.requestTimeoutMs).then(
      () => room,
      (error: TwinspaceError) => {
        room.shutdown(error);
        throw error;
      },
    ).finally(() => this.joining.delete(roomId));
    this.joining.set(roomId, started);
    return started;
  }

  /** A room joined with `joinRoom`, if it still is. */
  room(roomId: string): Room | undefined {
    return this.joining.has(roomId) ? undefined : this.rooms.get(roomId);
  }

  // ---- search ----------------------------------------------------------------------

  /**
   * Search a project for `q` (every word must match, the last also as the
   * start of a word; case and accents aside): messages, threads, posts, one's
   * own mail and file names, only where one may read. Page on with
   * `next_cursor` as `options.cursor`, or use `searchPager`.
   */
  search(projectId: string, q: string, options: SearchOptions = {}): Promise<SearchPage> {
    return search(this.transport, projectId, q, options);
  }

  /** The same search, page after page: `await pager.next()` until it gives `null`. */
  searchPager(projectId: string, q: string, options: SearchOptions = {}): SearchPager {
    return searchPager(this.transport, projectId, q, options);
  }

  // ---- files -----------------------------------------------------------------------

  /**
   * Upload a file to a project: a File, Blob, ArrayBuffer or Uint8Array. Attach
   * it afterwards by its id (`attachments` of a message, thread, post or mail).
   */
  uploadFile(projectId: string, data: UploadData, options: UploadOptions = {}): Promise<FileRecord> {
    return uploadFile(this.rest, projectId, data, options);
  }

  /** A file's record. */
  getFile(fileId: string): Promise<FileRecord> {
    return this.rest.json<FileRecord>({ method: "GET", path: `/files/${encodeURIComponent(fileId)}/meta` });
  }

  /** A file's bytes, as a Blob of its type (for `URL.createObjectURL` in a page). */
  async downloadFile(fileId: string, options: { signal?: AbortSignal } = {}): Promise<Blob> {
    const request = {
      method: "GET", path: `/files/${encodeURIComponent(fileId)}`, unbounded: true, signal: options.signal,
    } as const;
    return this.rest.blob(request, await this.rest.fetch(request));
  }

  /** Delete a file (its owner, or teachers). */
  deleteFile(fileId: string): Promise<FileRecord> {
    return this.rest.json<FileRecord>({ method: "DELETE", path: `/files/${encodeURIComponent(fileId)}` });
  }

  // ---- pushes ----------------------------------------------------------------------

  private route<E extends PushEvent>(event: E, data: Pushes[E]): void {
    if (event.startsWith("forum:")) {
      this.forum.handlePush(event, data);
    } else if (event.startsWith("mail:")) {
      this.mail.handlePush(event, data);
    } else if (isModerationPush(event)) {
      this.moderation.handlePush(event, data);
      // One's mutes and the project's chat hours decide whether one may write in its rooms.
      if (event === "moderation:muted" || event === "project:safeguarding") {
        const projectId = (data as { project_id?: unknown } | null)?.project_id;
        for (const room of [...this.rooms.values()]) {
          if (typeof projectId !== "string" || room.projectId === projectId) room.handlePush(event, data);
        }
      }
    } else if (isPrivacyPush(event)) {
      this.privacy.handlePush(event, data);
      // An erased member is gone from the project: its rooms drop their presence.
      const projectId = (data as { project_id?: unknown } | null)?.project_id;
      for (const room of [...this.rooms.values()]) {
        if (room.projectId === projectId) room.handlePush(event, data);
      }
    } else if (event === "project:chat_features") {
      const features = data as ProjectChatFeatures;
      this.emit("chatFeatures", features);
      for (const room of [...this.rooms.values()]) {
        if (room.projectId === features.project_id) room.handlePush(event, data);
      }
    } else if (event === "room:updated") {
      const room = this.rooms.get((data as Space).id);
      if (room) room.handlePush(event, data);
    } else {
      const roomId = (data as { room_id?: unknown } | null)?.room_id;
      if (typeof roomId !== "string") return;
      const room = this.rooms.get(roomId);
      if (event === "chat:mention") this.emit("mention", data as MentionPush);
      if (room) room.handlePush(event, data);
      else if (event === "room:unread") this.emit("unread", data as Unread);
    }
  }

  private shutdown(error: TwinspaceError): void {
    if (this.connectionState === "closed") return;
    this.connectionState = "closed";
    this.rest.close(error);
    for (const room of [...this.rooms.values()]) room.shutdown(error);
    this.emit("closed", error);
  }
}

/** The server's origin and the path it is mounted under ("" at the root). */
function address(url: string): { origin: string; basePath: string } {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let parsed: URL;
  try {
    parsed = base ? new URL(url, base) : new URL(url);
  } catch {
    throw new TypeError(`createClient: ${JSON.stringify(url)} is not a URL.`);
  }
  return { origin: parsed.origin, basePath: parsed.pathname.replace(/\/+$/, "") };
}
