/**
 * Where the client's token comes from: a fixed string, or the portal's
 * `getToken()` asked again shortly before the token expires and whenever
 * the server refuses it.
 */

import { AuthError, ClientCodes, type CauseOptions } from "./errors.js";
import { clientMessage, type Language } from "./messages.js";

export type GetToken = () => Promise<string>;

/** Refresh this long before expiry at most (long-lived tokens)... */
const REFRESH_MARGIN_MAX_MS = 60_000;
/** ...and at least, or a fifth of the lifetime when that is longer (short-lived tokens). */
const REFRESH_MARGIN_MIN_MS = 1_000;
/** Never ask again sooner than this after an answer, whatever the claims say (a skewed clock). */
const REFRESH_DELAY_MIN_MS = 1_000;

interface Claims {
  exp?: number;
  iat?: number;
}

/** The payload of a JWT, or {} when it cannot be read; the signature is the server's business. */
export function decodeClaims(token: string): Claims {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const json = decodeURIComponent(
      Array.from(atob(base64), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
    const claims: unknown = JSON.parse(json);
    if (typeof claims !== "object" || claims === null) return {};
    const { exp, iat } = claims as Record<string, unknown>;
    return {
      ...(typeof exp === "number" ? { exp } : {}),
      ...(typeof iat === "number" ? { iat } : {}),
    };
  } catch {
    return {};
  }
}

/** Milliseconds from now until a token should be replaced, or undefined when it does not expire. */
export function refreshDelayMs(token: string, now: number = Date.now()): number | undefined {
  const { exp, iat } = decodeClaims(token);
  if (exp === undefined) return undefined;
  // exp - iat measures the lifetime on the issuer's clock, so a skewed local clock
  // does not shift the refresh; without iat, fall back to the local clock.
  const lifetimeMs = (iat !== undefined && iat < exp ? exp - iat : exp - now / 1000) * 1000;
  const margin = Math.min(REFRESH_MARGIN_MAX_MS, Math.max(REFRESH_MARGIN_MIN_MS, lifetimeMs / 5));
  return Math.max(REFRESH_DELAY_MIN_MS, lifetimeMs - margin);
}

export interface TokenSourceOptions {
  token?: string | undefined;
  getToken?: GetToken | undefined;
  /** Told when a refresh ahead of expiry fails; the next connection attempt asks again. */
  onRefreshError: (error: AuthError) => void;
  /** The language of the `client.token_unavailable` message (English by default). */
  language?: Language | undefined;
}

export class TokenSource {
  private token: string | undefined;
  private refreshAt = Infinity;
  private stale = false;
  private inFlight: Promise<string> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly getToken: GetToken | undefined;
  private readonly onRefreshError: (error: AuthError) => void;
  private readonly language: Language | undefined;

  constructor(options: TokenSourceOptions) {
    this.getToken = options.getToken;
    this.onRefreshError = options.onRefreshError;
    this.language = options.language;
    if (options.token !== undefined) this.token = options.token;
  }

  /** Whether a refused token can be replaced (a `getToken` was given). */
  get canRefresh(): boolean {
    return this.getToken !== undefined;
  }

  /** The token to use now: the one held while it is fresh, else a new one from `getToken`. */
  current(): Promise<string> {
    if (this.token !== undefined && (!this.canRefresh || (!this.stale && Date.now() < this.refreshAt))) {
      return Promise.resolve(this.token);
    }
    return this.fetch();
  }

  /** The server refused the token: ask for a new one next time. */
  invalidate(): void {
    this.stale = true;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fetch(): Promise<string> {
    const getToken = this.getToken;
    if (!getToken) {
      return Promise.reject(this.unavailable({ reason: "No token was given." }));
    }
    if (this.inFlight) return this.inFlight; // one question at a time, however many ask
    const asked = this.ask(getToken).finally(() => {
      if (this.inFlight === asked) this.inFlight = undefined;
    });
    this.inFlight = asked;
    return asked;
  }

  private async ask(getToken: GetToken): Promise<string> {
    let answer: unknown;
    try {
      answer = await getToken();
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw this.unavailable({ reason: `getToken() failed: ${reason}` }, { cause });
    }
    if (typeof answer !== "string" || answer.trim() === "") {
      throw this.unavailable({ reason: "getToken() did not return a token." });
    }
    const token = answer.trim();
    this.accept(token);
    return token;
  }

  /** `client.token_unavailable`, in the client's language; `details.reason` says what went wrong. */
  private unavailable(details: { reason: string }, options?: CauseOptions): AuthError {
    return new AuthError(ClientCodes.tokenUnavailable, clientMessage(this.language, ClientCodes.tokenUnavailable, details),
      details, undefined, options);
  }

  private accept(token: string): void {
    this.token = token;
    this.stale = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const delay = refreshDelayMs(token);
    this.refreshAt = delay === undefined ? Infinity : Date.now() + delay;
    if (delay === undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.fetch().catch((error: AuthError) => this.onRefreshError(error));
    }, Math.min(delay, 2 ** 31 - 1));
    // In Node, a pending refresh alone must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }
}
