/**
 * The Socket.IO events of docs/protocol.md: each request's payload and ack
 * data, and each push's data, as generated from the server's tables into
 * `wire.ts`. Used internally so that every emit is typed.
 */

import type { Pushes, Requests } from "./wire.js";

export type { Pushes, Requests } from "./wire.js";

/** A request event, e.g. `"chat:send"`. */
export type RequestEvent = keyof Requests;
/** What request `E` sends. */
export type PayloadOf<E extends RequestEvent> = Requests[E]["payload"];
/** The data of a successful ack to request `E`. */
export type AckOf<E extends RequestEvent> = Requests[E]["ack"];
/** A push event, e.g. `"chat:message"`. */
export type PushEvent = keyof Pushes;

/** What `chat:send` sends. */
export type ChatSendPayload = PayloadOf<"chat:send">;
/** What `mail:send` sends. */
export type MailSendPayload = PayloadOf<"mail:send">;

/**
 * The error object of a refused ack, a refused connection or a REST error
 * body. `code` stays a string: a newer server may send a code this SDK does
 * not know yet.
 */
export interface WireError {
  code: string;
  message: string;
  data?: Record<string, unknown>;
  /** The refused request's id, as the server's log line for it carries it (TwinspaceError's `requestId`). */
  request_id?: string;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };
