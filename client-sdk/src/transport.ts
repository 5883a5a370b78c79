/**
 * The Socket.IO connection: authenticating with the current token,
 * reconnecting (also after the server refuses a token, which Socket.IO
 * does not retry by itself), and requests with acks, time-outs and the
 * protocol's `{ok, data | error}` envelope.
 */

import { io, type Socket } from "socket.io-client";

import { Emitter } from "./emitter.js";
import {
  ClientCodes,
  clientError,
  closedError,
  disconnectedError,
  fromWire,
  isRefreshable,
  isWireError,
  timeoutError,
  type TwinspaceError,
} from "./errors.js";
import { pickLanguage, type Language } from "./messages.js";
import type { AckOf, PayloadOf, RequestEvent } from "./protocol.js";
import type { TokenSource } from "./token.js";

export type TransportName = "websocket" | "polling" | "webtransport";

export interface TransportOptions {
  /** Where the socket connects: the server's origin and the Socket.IO path below its base path. */
  origin: string;
  path: string;
  tokens: TokenSource;
  /** The `lang` option, sent with the token for the server's messages. */
  lang: string | undefined;
  transports: TransportName[] | undefined;
  requestTimeoutMs: number;
  reconnectDelayMs: number;
  reconnectDelayMaxMs: number;
}

export interface TransportEvents {
  /** A connection is up; `epoch` numbers connections, starting at 1. */
  connected: number;
  disconnected: string;
  /** Something went wrong that no request is waiting for (a refused connection, a failed token refresh). */
  error: TwinspaceError;
  /** The transport gave up for good (a refusal no new token can cure) or was closed. */
  closed: TwinspaceError;
  push: { event: string; data: unknown };
}

export interface RequestOptions {
  timeoutMs?: number | undefined;
  /**
   * The request may be sent again after the connection drops (a read, or a
   * write that does the same thing twice). Otherwise a drop before the ack
   * fails it with `client.disconnected`.
   */
  repeatable?: boolean | undefined;
  /** Only on this connection: fail with `client.disconnected` rather than wait for the next one. */
  epoch?: number | undefined;
}

export class Transport extends Emitter<TransportEvents> {
  /** The language of the SDK's own error messages (from the `lang` option, else the browser's). */
  readonly language: Language;
  private readonly socket: Socket;
  private readonly options: TransportOptions;
  private connectionEpoch = 0;
  private readonly waiters = new Set<() => void>();
  private closedBy: TwinspaceError | undefined;
  private refusals = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: TransportOptions) {
    super();
    this.options = options;
    this.language = pickLanguage(options.lang);
    this.socket = io(options.origin, {
      path: options.path,
      autoConnect: false,
      forceNew: true, // one connection per client, never shared with another client in the page
      reconnectionDelay: options.reconnectDelayMs,
      reconnectionDelayMax: options.reconnectDelayMaxMs,
      ...(options.transports ? { transports: options.transports } : {}),
      auth: (send) => this.authenticate(send),
    });
    this.socket.on("connect", () => this.onConnect());
    this.socket.on("disconnect", (reason) => this.onDisconnect(reason));
    this.socket.on("connect_error", (error) => this.onConnectError(error));
    this.socket.onAny((event: string, data: unknown) => this.emit("push", { event, data }));
  }

  /** Numbers the current connection; changes with every reconnection. */
  get epoch(): number {
    return this.connectionEpoch;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  connect(): void {
    if (!this.closedBy) this.socket.connect();
  }

  /** Drop the connection and make a new one (after the server refused the token mid-session). */
  reconnect(): void {
    if (this.closedBy) return;
    this.socket.disconnect();
    this.scheduleReconnect();
  }

  close(error: TwinspaceError = closedError(this.language)): void {
    if (this.closedBy) return;
    this.closedBy = error;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.options.tokens.close();
    this.socket.disconnect();
    this.socket.offAny();
    for (const wake of [...this.waiters]) wake();
    this.emit("closed", error);
  }

  /** Resolves once connected; rejects at the deadline or when the transport closes. */
  whenConnected(deadline: number, what: string): Promise<void> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        if (this.closedBy) reject(this.closedBy);
        else resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(timeoutError(this.language, what));
      }, Math.max(0, deadline - Date.now()));
      this.waiters.add(done);
    });
  }

  /** Send a request and wait for its ack's data; a refused request rejects with its TwinspaceError. */
  async request<E extends RequestEvent>(event: E, payload: PayloadOf<E>, options: RequestOptions = {}): Promise<AckOf<E>> {
    const deadline = Date.now() + (options.timeoutMs ?? this.options.requestTimeoutMs);
    let refreshedToken = false;
    for (;;) {
      if (options.epoch !== undefined && (options.epoch !== this.connectionEpoch || !this.socket.connected)) {
        throw disconnectedError(this.language, event);
      }
      await this.whenConnected(deadline, event);
      const epoch = this.connectionEpoch;
      let ack: unknown;
      try {
        ack = await this.socket.timeout(Math.max(1, deadline - Date.now())).emitWithAck(event, payload);
      } catch {
        if (this.closedBy) throw this.closedBy;
        const dropped = epoch !== this.connectionEpoch || !this.socket.connected;
        if (!dropped) throw timeoutError(this.language, event);
        if (options.repeatable && options.epoch === undefined && Date.now() < deadline) continue;
        throw disconnectedError(this.language, event);
      }
      if (!isAck(ack)) {
        throw clientError(this.language, ClientCodes.badResponse, { request: event });
      }
      if (ack.ok) return ack.data as AckOf<E>;
      const error = fromWire(ack.error, undefined, this.language);
      if (isRefreshable(error) && this.options.tokens.canRefresh && !refreshedToken) {
        // Refused before anything was done, so sending again after a new handshake is safe.
        refreshedToken = true;
        this.options.tokens.invalidate();
        this.reconnect();
        continue;
      }
      throw error;
    }
  }

  private authenticate(send: (data: object) => void): void {
    this.options.tokens.current().then(
      (token) => send(this.options.lang ? { token, lang: this.options.lang } : { token }),
      (error: TwinspaceError) => {
        // No token to offer: abandon this attempt and try again later.
        this.emit("error", error);
        this.socket.disconnect();
        this.scheduleReconnect();
      },
    );
  }

  private onConnect(): void {
    this.refusals = 0;
    this.connectionEpoch += 1;
    for (const wake of [...this.waiters]) wake();
    this.emit("connected", this.connectionEpoch);
  }

  private onDisconnect(reason: string): void {
    if (this.closedBy) return; // closing: "closed" says it
    this.emit("disconnected", reason);
    // Socket.IO reconnects by itself after a lost connection, but not after the server ended the session.
    if (reason === "io server disconnect") this.scheduleReconnect();
  }

  private onConnectError(error: Error): void {
    if (this.closedBy) return;
    const refusal = (error as { data?: unknown }).data;
    if (!isWireError(refusal)) {
      // The server could not be reached; Socket.IO's manager keeps trying while the socket is active.
      if (!this.socket.active) this.scheduleReconnect();
      return;
    }
    const refused = fromWire(refusal, undefined, this.language);
    const curable = isRefreshable(refused) && this.options.tokens.canRefresh;
    // A first refusal (an expired token, typically) is cured quietly with a new token;
    // the application hears of refusals that go on.
    if (!curable || this.refusals > 0) this.emit("error", refused);
    if (curable) {
      this.options.tokens.invalidate();
      this.scheduleReconnect();
    } else {
      this.close(refused); // a fixed token that was refused, or a refused origin: retrying cannot help
    }
  }

  /** The first retry is immediate (with a new token); later ones back off, with jitter. */
  private scheduleReconnect(): void {
    if (this.closedBy || this.retryTimer !== undefined) return;
    const { reconnectDelayMs, reconnectDelayMaxMs } = this.options;
    const delay = this.refusals === 0
      ? 0
      : Math.min(reconnectDelayMaxMs, reconnectDelayMs * 2 ** (this.refusals - 1)) * (0.5 + Math.random() / 2);
    this.refusals += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closedBy && !this.socket.connected) this.socket.connect();
    }, delay);
  }
}

function isAck(value: unknown): value is { ok: true; data: unknown } | { ok: false; error: unknown } {
  return typeof value === "object" && value !== null && typeof (value as { ok?: unknown }).ok === "boolean";
}
