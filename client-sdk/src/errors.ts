/**
 * Every failure the SDK reports is a TwinspaceError carrying a stable,
 * dotted `code`: the server's own (docs/protocol.md, "Error codes") or one
 * of the client-side codes below. Subclasses group the codes by family so
 * that applications can branch with `instanceof`.
 */

import type { WireError } from "./protocol.js";

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

export class TwinspaceError extends Error {
  override name = "TwinspaceError";
  /** A stable dotted code to branch on, e.g. `room.not_found`. */
  readonly code: string;
  /** The values the message speaks of (e.g. `retry_after_secs`), as the server sent them. */
  readonly details: Record<string, unknown>;
  /** The HTTP status, for errors from REST calls. */
  readonly status: number | undefined;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, status?: number) {
    super(message);
    this.code = code;
    this.details = details;
    this.status = status;
  }
}

/** The token was refused (`auth.*`), or no token could be had from `getToken`. */
export class AuthError extends TwinspaceError {
  override name = "AuthError";
}
/** Not allowed: `permission.denied`, `project.not_open`, `project.archived`. */
export class ForbiddenError extends TwinspaceError {
  override name = "ForbiddenError";
}
/** The thing asked for does not exist, or may not be seen: every `*.not_found`. */
export class NotFoundError extends TwinspaceError {
  override name = "NotFoundError";
}
/** The request was refused as it stands: `request.invalid`, too long, too large, a wrong recipient, a refused file type... */
export class ValidationError extends TwinspaceError {
  override name = "ValidationError";
}
/** The request conflicts with the current state: a locked thread, an existing member, the last admin... */
export class ConflictError extends TwinspaceError {
  override name = "ConflictError";
}
/** Too many requests; `retryAfterSecs` says when to try again. */
export class RateLimitedError extends TwinspaceError {
  override name = "RateLimitedError";
  get retryAfterSecs(): number | undefined {
    const value = this.details["retry_after_secs"];
    return typeof value === "number" ? value : undefined;
  }
}
/** The server failed (`internal.error`) or a backend is down (`backend.unavailable`). */
export class ServerError extends TwinspaceError {
  override name = "ServerError";
}
/** The connection is not there, dropped, or the client was closed (`client.disconnected`, `client.closed`, `client.network`). */
export class ConnectionError extends TwinspaceError {
  override name = "ConnectionError";
}
/** No answer in time (`client.timeout`). */
export class TimeoutError extends TwinspaceError {
  override name = "TimeoutError";
}

type ErrorClass = new (code: string, message: string, details?: Record<string, unknown>, status?: number) => TwinspaceError;

const BY_CODE: Record<string, ErrorClass> = {
  "permission.denied": ForbiddenError,
  "project.not_open": ForbiddenError,
  "project.archived": ForbiddenError,
  "project.bad_state": ConflictError,
  "member.exists": ConflictError,
  "member.last_admin": ConflictError,
  "forum.thread_locked": ConflictError,
  "rate.limited": RateLimitedError,
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
  const exact = BY_CODE[code];
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
export function makeError(code: string, message: string, details: Record<string, unknown> = {}, status?: number): TwinspaceError {
  const Class = classOf(code, status);
  return new Class(code, message, details, status);
}

/** The error for a server's `{code, message, data}`. */
export function fromWire(error: unknown, status?: number): TwinspaceError {
  if (!isWireError(error)) {
    return makeError(ClientCodes.badResponse, "The server answered with an error the client does not understand.", {}, status);
  }
  return makeError(error.code, error.message, error.data ?? {}, status);
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== "object" || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === "string" && typeof message === "string";
}

/**
 * True when `error` is a TwinspaceError (optionally with exactly `code`, or
 * with a code starting with `code` when it ends with a dot: `"auth."`).
 */
export function isTwinspaceError(error: unknown, code?: string): error is TwinspaceError {
  if (!(error instanceof TwinspaceError)) return false;
  if (code === undefined) return true;
  return code.endsWith(".") ? error.code.startsWith(code) : error.code === code;
}

/** Auth refusals a fresh token may cure (every `auth.*` but a refused browser origin). */
export function isRefreshable(error: TwinspaceError): boolean {
  return error.code.startsWith("auth.") && error.code !== "auth.origin_denied";
}

export function timeoutError(what: string): TimeoutError {
  return new TimeoutError(ClientCodes.timeout, `No answer to ${what} in time.`);
}

export function closedError(what = "The client was closed"): ConnectionError {
  return new ConnectionError(ClientCodes.closed, `${what} before the request completed.`);
}

export function disconnectedError(what: string): ConnectionError {
  return new ConnectionError(ClientCodes.disconnected,
    `The connection dropped before ${what} was answered; it may or may not have been done.`);
}
