/**
 * Every failure the SDK reports is a TwinspaceError carrying a stable,
 * dotted `code`: the server's own (docs/protocol.md, "Error codes"; the
 * {@link ErrorCode} union is generated from the server) or one of the
 * client-side {@link ClientCodes}. Subclasses group the codes by family so
 * that applications can branch with `instanceof`; {@link isTwinspaceError}
 * also recognises errors made by another copy of the SDK (a second bundle,
 * the browser file next to a bundled copy, another realm such as an iframe).
 *
 * Tree:
 *
 *     TwinspaceError        (code, details, status, requestId, cause)
 *     ├── AuthError         auth.*, client.token_unavailable
 *     ├── ForbiddenError    permission.denied, project.not_open, project.archived,
 *     │                     chat.muted, chat.read_only, chat.closed_hours
 *     ├── NotFoundError     *.not_found (report.not_found too)
 *     ├── ValidationError   request.*, too long, too large, refused recipients and files,
 *     │                     content.blocked, member.not_mutable, mail.recipient_not_allowed,
 *     │                     report.not_reportable
 *     ├── ConflictError     forum.thread_locked, member.exists, project.bad_state,
 *     │                     report.duplicate, report.bad_state, erasure.not_confirmed,
 *     │                     erasure.expired, ...
 *     ├── RateLimitedError  rate.limited, chat.slow_mode
 *     ├── ServerError       internal.error, backend.unavailable
 *     ├── ConnectionError   client.disconnected, client.closed, client.network, client.aborted
 *     └── TimeoutError      client.timeout
 */

import { clientMessage, type Language } from "./messages.js";
import type { WireError } from "./protocol.js";
import type { ErrorCode } from "./wire.js";

/** Codes the SDK itself produces (the server never sends these). */
export const ClientCodes = {
  /** A request got no answer in time. */
  timeout: "client.timeout",
  /** The connection dropped before a request that may not be repeated was answered: it may or may not have happened. */
  disconnected: "client.disconnected",
  /** The client was closed, or the room left, before the request completed. */
  closed: "client.closed",
  /** A REST request failed at the network level. */
  network: "client.network",
  /** The portal's `getToken` failed or returned something that is not a token. */
  tokenUnavailable: "client.token_unavailable",
  /** The server answered something that is not in the protocol. */
  badResponse: "client.bad_response",
  /** The request was cancelled through its AbortSignal. */
  aborted: "client.aborted",
} as const;

/** A code the SDK itself produces. */
export type ClientCode = (typeof ClientCodes)[keyof typeof ClientCodes];
/** Every code this SDK knows of: the server's and its own. */
export type KnownCode = ErrorCode | ClientCode;
type FamilyOf<C> = C extends `${infer F}.${string}` ? `${F}.` : never;
/** A family of codes, written as its first part and a dot: `"auth."` matches every `auth.*` code. */
export type CodeFamily = FamilyOf<KnownCode>;

/**
 * What led to an error, as ES2022's `ErrorOptions` (declared here so that
 * the package's types do not need the ES2022 library).
 */
export interface CauseOptions {
  cause?: unknown;
}

/** What a TwinspaceError may be made with besides its code, message, details and status. */
export interface TwinspaceErrorOptions extends CauseOptions {
  /** The id of the request the server refused, as it sent it (`error.request_id`). */
  requestId?: string;
}

/**
 * Marks TwinspaceErrors. A symbol from the global registry is the same in
 * every copy of the SDK and every realm, where `instanceof` is not.
 */
const BRAND = Symbol.for("@twinspace/client.TwinspaceError");

/**
 * The base of every error the SDK throws or rejects with: a request the
 * server refused (its code and message, in the user's language), a
 * connection or token problem, or an answer the protocol does not describe
 * (`client.bad_response`). A code with no family of its own (one newer than
 * this SDK, say) gives a plain TwinspaceError. The error that led to it, if
 * any (a failed `fetch`, a `getToken` that threw), is its `cause`.
 */
export class TwinspaceError extends Error {
  override name = "TwinspaceError";
  /**
   * A stable dotted code to branch on, e.g. `room.not_found`. A newer server
   * may send a code this SDK does not know yet, hence any string.
   */
  readonly code: KnownCode | (string & {});
  /** The values the message speaks of (e.g. `retry_after_secs`), as the server sent them. */
  readonly details: Record<string, unknown>;
  /** The HTTP status, for errors from REST calls. */
  readonly status: number | undefined;
  /**
   * The id the server gave the refused request (16 hex digits), when the
   * server answered; undefined for the SDK's own errors (`client.*`). Give it
   * to support with the time and what was being done: the server's log line
   * for that request carries the same id (docs/operations.md, "Logs").
   */
  readonly requestId: string | undefined;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, status?: number,
    options?: TwinspaceErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
    this.status = status;
    this.requestId = options?.requestId;
    // Runtimes older than ES2022 ignore the options of Error.
    if (options && "cause" in options && !("cause" in this)) {
      Object.defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true });
    }
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * Thrown when the server refuses the token (`auth.*`: expired, badly signed,
 * from an untrusted issuer...) and no new one helped, or when none could be
 * had: `getToken` threw or returned something that is not a token
 * (`client.token_unavailable`, with what it threw as `cause`). The client
 * emits it as `error`, and as `closed` when it gives up.
 */
export class AuthError extends TwinspaceError {
  override name = "AuthError";
}
/**
 * Thrown when the user may not do what was asked: `permission.denied` (a
 * visitor writing, a pupil joining the staff room), `project.not_open`,
 * `project.archived`; and when a pupil may not write in a room now:
 * `chat.muted` (`until` says when the mute ends), `chat.read_only` (an
 * announcements room), `chat.closed_hours` (`opensAt` says when the chat
 * opens again).
 */
export class ForbiddenError extends TwinspaceError {
  override name = "ForbiddenError";
  /** For `chat.muted`: when the mute ends (ISO 8601). */
  get until(): string | undefined {
    const value = this.details["until"];
    return typeof value === "string" ? value : undefined;
  }
  /** For `chat.closed_hours`: when pupils may write again (ISO 8601). */
  get opensAt(): string | undefined {
    const value = this.details["opens_at"];
    return typeof value === "string" ? value : undefined;
  }
}
/**
 * Thrown when the thing asked for does not exist, or may not be seen by the
 * user: every `*.not_found` (`room.not_found`, `file.not_found`...).
 */
export class NotFoundError extends TwinspaceError {
  override name = "NotFoundError";
}
/**
 * Thrown when the request is refused as it stands: `request.invalid` (a
 * field too long, empty or of the wrong type; `details` does not say which,
 * the message does), `request.too_large`, a recipient outside the project, a
 * refused file type or size, a message the word filter blocks
 * (`content.blocked`), a recipient a pupil may not mail
 * (`mail.recipient_not_allowed`), muting someone who is not a pupil
 * (`member.not_mutable`), reporting what cannot be reported
 * (`report.not_reportable`)...
 */
export class ValidationError extends TwinspaceError {
  override name = "ValidationError";
}
/**
 * Thrown when the request conflicts with the current state: a locked
 * thread, an existing member, the last admin, a project in the wrong state,
 * an item one already reported (`report.duplicate`), a report already
 * decided (`report.bad_state`), an erasure's confirmation that matches no
 * erasure asked for (`erasure.not_confirmed`) or came after it expired
 * (`erasure.expired`, with `expires_at`): ask for the erasure again.
 */
export class ConflictError extends TwinspaceError {
  override name = "ConflictError";
}
/**
 * Thrown when the user sent too much too fast (`rate.limited`), or a pupil
 * wrote again too soon in a slow-mode room (`chat.slow_mode`);
 * `retryAfterSecs` says when to try again. Chat sends wait and retry by
 * themselves after `rate.limited`; a send refused by slow mode rejects (the
 * pupil decides whether to send it later), as do other requests.
 */
export class RateLimitedError extends TwinspaceError {
  override name = "RateLimitedError";
  get retryAfterSecs(): number | undefined {
    const value = this.details["retry_after_secs"];
    return typeof value === "number" ? value : undefined;
  }
}
/**
 * Thrown when the server failed (`internal.error`, never with its details)
 * or one of its backends is down (`backend.unavailable`), and by REST calls
 * answered with a 5xx status.
 */
export class ServerError extends TwinspaceError {
  override name = "ServerError";
}
/**
 * Thrown when the connection is not there: it dropped before a request that
 * may not be repeated was answered (`client.disconnected`: it may or may not
 * have been done), the client was closed or the room left
 * (`client.closed`), a REST call could not reach the server
 * (`client.network`, with the network error as `cause`), or the request was
 * cancelled through its AbortSignal (`client.aborted`).
 */
export class ConnectionError extends TwinspaceError {
  override name = "ConnectionError";
}
/**
 * Thrown when a request got no answer within `requestTimeoutMs`
 * (`client.timeout`), reconnecting included.
 */
export class TimeoutError extends TwinspaceError {
  override name = "TimeoutError";
}

type ErrorClass = new (code: string, message: string, details?: Record<string, unknown>, status?: number,
  options?: TwinspaceErrorOptions) => TwinspaceError;

const BY_CODE: Partial<Record<KnownCode, ErrorClass>> = {
  "permission.denied": ForbiddenError,
  "project.not_open": ForbiddenError,
  "project.archived": ForbiddenError,
  "project.bad_state": ConflictError,
  "member.exists": ConflictError,
  "member.last_admin": ConflictError,
  "forum.thread_locked": ConflictError,
  "rate.limited": RateLimitedError,
  // Safeguarding: a pupil who may not write now, content refused, reports.
  "chat.muted": ForbiddenError,
  "chat.read_only": ForbiddenError,
  "chat.closed_hours": ForbiddenError,
  "chat.slow_mode": RateLimitedError,
  "content.blocked": ValidationError,
  "member.not_mutable": ValidationError,
  "mail.recipient_not_allowed": ValidationError,
  "report.duplicate": ConflictError,
  "report.bad_state": ConflictError,
  "report.not_reportable": ValidationError,
  // Privacy: an erasure's confirmation that does not match, or came too late.
  "erasure.not_confirmed": ConflictError,
  "erasure.expired": ConflictError,
  "internal.error": ServerError,
  "backend.unavailable": ServerError,
  [ClientCodes.timeout]: TimeoutError,
  [ClientCodes.disconnected]: ConnectionError,
  [ClientCodes.closed]: ConnectionError,
  [ClientCodes.network]: ConnectionError,
  [ClientCodes.aborted]: ConnectionError,
  [ClientCodes.tokenUnavailable]: AuthError,
};

const BY_STATUS: Record<number, ErrorClass> = {
  400: ValidationError,
  401: AuthError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  413: ValidationError,
  415: ValidationError,
  429: RateLimitedError,
};

function classOf(code: string, status?: number): ErrorClass {
  const exact = BY_CODE[code as KnownCode];
  if (exact) return exact;
  if (code.startsWith("auth.")) return AuthError;
  if (code.endsWith(".not_found")) return NotFoundError;
  if (code.startsWith("request.")) return ValidationError;
  if (status !== undefined) return BY_STATUS[status] ?? (status >= 500 ? ServerError : TwinspaceError);
  // Refusals of what was asked that are not in the families above are 400/413/415 in the protocol.
  if (/^(project|member|mail|file)\./.test(code)) return ValidationError;
  return TwinspaceError;
}

/** The error for a code, as the right subclass. */
export function makeError(code: string, message: string, details: Record<string, unknown> = {}, status?: number,
  options?: TwinspaceErrorOptions): TwinspaceError {
  const Class = classOf(code, status);
  return new Class(code, message, details, status, options);
}

/**
 * The error for one of the SDK's own codes: its message in `lang` (messages.ts),
 * the technical detail (event, REST request, status) in `details`.
 */
export function clientError(lang: Language | undefined, code: ClientCode, details: Record<string, unknown> = {},
  status?: number, options?: CauseOptions): TwinspaceError {
  return makeError(code, clientMessage(lang, code, details), details, status, options);
}

/** The error for a server's `{code, message, data, request_id}`. */
export function fromWire(error: unknown, status?: number, lang?: Language): TwinspaceError {
  if (!isWireError(error)) {
    return clientError(lang, ClientCodes.badResponse, status === undefined ? {} : { status }, status);
  }
  const requestId = typeof error.request_id === "string" ? error.request_id : undefined;
  return makeError(error.code, error.message, error.data ?? {}, status, requestId === undefined ? undefined : { requestId });
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== "object" || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === "string" && typeof message === "string";
}

/**
 * True when `error` is a TwinspaceError (optionally with exactly `code`, or
 * with a code of the family `code` when it ends with a dot: `"auth."`).
 * Unlike `instanceof`, it recognises errors made by another copy of the SDK
 * or in another realm. Codes are checked against the ones this SDK knows,
 * so a misspelt code is a type error.
 */
export function isTwinspaceError(error: unknown, code?: KnownCode | CodeFamily): error is TwinspaceError {
  if (!(error instanceof TwinspaceError || isBranded(error))) return false;
  if (code === undefined) return true;
  return code.endsWith(".") ? error.code.startsWith(code) : error.code === code;
}

function isBranded(value: unknown): value is TwinspaceError {
  return typeof value === "object" && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
    && typeof (value as { code?: unknown }).code === "string";
}

/** Auth refusals a fresh token may cure (every `auth.*` but a refused browser origin). */
export function isRefreshable(error: TwinspaceError): boolean {
  return error.code.startsWith("auth.") && error.code !== "auth.origin_denied";
}

/** `client.timeout`: `what` (an event, a REST request) got no answer in time; `details.request` names it. */
export function timeoutError(lang: Language | undefined, what: string): TimeoutError {
  const details = { request: what };
  return new TimeoutError(ClientCodes.timeout, clientMessage(lang, ClientCodes.timeout, details), details);
}

/** `client.closed`, by the client's `close()` or because the room was left (`details.reason`). */
export function closedError(lang: Language | undefined, reason: "client_closed" | "room_left" = "client_closed"): ConnectionError {
  const details = { reason };
  return new ConnectionError(ClientCodes.closed, clientMessage(lang, ClientCodes.closed, details), details);
}

/** `client.disconnected`: the connection dropped before `what` was answered; `details.request` names it. */
export function disconnectedError(lang: Language | undefined, what: string): ConnectionError {
  const details = { request: what };
  return new ConnectionError(ClientCodes.disconnected, clientMessage(lang, ClientCodes.disconnected, details), details);
}
