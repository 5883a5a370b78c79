/**
 * REST calls under `/api/v1` with `Authorization: Bearer`, for what only
 * REST does (files). A refused token is replaced once and the call repeated.
 */

import {
  ClientCodes,
  TwinspaceError,
  clientError,
  closedError,
  fromWire,
  isRefreshable,
  timeoutError,
} from "./errors.js";
import { pickLanguage, type Language } from "./messages.js";
import type { TokenSource } from "./token.js";

export interface RestOptions {
  /** The API's base URL, e.g. `https://twinspace.example.org/api/v1`. */
  base: string;
  tokens: TokenSource;
  /** The `lang` option, sent as Accept-Language for the server's messages. */
  lang: string | undefined;
  timeoutMs: number;
}

export interface RestRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  body?: Blob | Uint8Array<ArrayBuffer> | undefined;
  headers?: Record<string, string> | undefined;
  /** No time limit (uploads, downloads of any size); the signal can still cancel. */
  unbounded?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export class Rest {
  /** The language of the SDK's own error messages (from the `lang` option, else the browser's). */
  readonly language: Language;
  private readonly options: RestOptions;
  private closedBy: TwinspaceError | undefined;

  constructor(options: RestOptions) {
    this.options = options;
    this.language = pickLanguage(options.lang);
  }

  url(path: string): string {
    return this.options.base + path;
  }

  /** The headers every call carries: the current token, and the language for messages. */
  async headers(): Promise<Record<string, string>> {
    const token = await this.options.tokens.current();
    return {
      Authorization: `Bearer ${token}`,
      ...(this.options.lang ? { "Accept-Language": this.options.lang } : {}),
    };
  }

  /**
   * Run `attempt` with fresh headers; when the server refuses the token, get a
   * new one and run it once more. `attempt` resolves with the HTTP status and
   * the error body when the call failed.
   */
  async withToken<T>(attempt: (headers: Record<string, string>) => Promise<T | HttpFailure>): Promise<T> {
    for (let tries = 0; ; tries++) {
      if (this.closedBy) throw this.closedBy;
      const result = await attempt(await this.headers());
      if (!(result instanceof HttpFailure)) return result;
      const error = result.error;
      if (tries === 0 && isRefreshable(error) && this.options.tokens.canRefresh) {
        this.options.tokens.invalidate();
        continue;
      }
      throw error;
    }
  }

  /** A call with fetch, answered with its Response when the status is 2xx. */
  fetch(request: RestRequest): Promise<Response> {
    return this.withToken(async (headers) => {
      if (request.signal?.aborted) {
        throw clientError(this.language, ClientCodes.aborted, { request: described(request) });
      }
      const controller = new AbortController();
      const cancel = (): void => controller.abort();
      request.signal?.addEventListener("abort", cancel, { once: true });
      const timer = request.unbounded ? undefined : setTimeout(cancel, this.options.timeoutMs);
      let response: Response;
      try {
        response = await fetch(this.url(request.path), {
          method: request.method,
          headers: { ...headers, ...request.headers },
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: controller.signal,
        });
      } catch (cause) {
        if (request.signal?.aborted) {
          throw clientError(this.language, ClientCodes.aborted, { request: described(request) });
        }
        if (controller.signal.aborted) throw timeoutError(this.language, described(request));
        throw clientError(this.language, ClientCodes.network, { request: described(request), reason: reasonOf(cause) },
          undefined, { cause });
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        // An unbounded call's body (a download) may still be arriving: the signal can still cancel it.
        if (!request.unbounded) request.signal?.removeEventListener("abort", cancel);
      }
      if (response.ok) return response;
      request.signal?.removeEventListener("abort", cancel);
      return new HttpFailure(errorFromBody(response.status, await response.text().catch(() => ""), this.language));
    });
  }

  /**
   * The body of an unbounded call's answer as a Blob; cancelled through the
   * request's signal (`client.aborted`) or cut off (`client.network`).
   */
  async blob(request: RestRequest, response: Response): Promise<Blob> {
    try {
      return await response.blob();
    } catch (cause) {
      if (request.signal?.aborted) {
        throw clientError(this.language, ClientCodes.aborted, { request: described(request) });
      }
      throw clientError(this.language, ClientCodes.network, { request: described(request), reason: reasonOf(cause) },
        undefined, { cause });
    }
  }

  /** A call answered with JSON. */
  async json<T>(request: RestRequest): Promise<T> {
    const response = await this.fetch(request);
    try {
      return (await response.json()) as T;
    } catch {
      throw clientError(this.language, ClientCodes.badResponse,
        { request: described(request), status: response.status }, response.status);
    }
  }

  /** Refuse every later call with `error`. */
  close(error: TwinspaceError = closedError(this.language)): void {
    this.closedBy ??= error;
  }
}

/** A refused REST call, as the server described it. */
export class HttpFailure {
  constructor(readonly error: TwinspaceError) {}
}

/**
 * The TwinspaceError for a refused call's status and body (`{"error": {code, message, data?}}`);
 * `lang` is for the SDK's own message when the body is not one.
 */
export function errorFromBody(status: number, body: string, lang?: Language): TwinspaceError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      return fromWire((parsed as { error: unknown }).error, status, lang);
    }
  } catch {
    // not JSON: a proxy's page, say
  }
  return clientError(lang, ClientCodes.badResponse, { status }, status);
}

/** A request as the details of an error name it: `GET /files/f_1/meta`. */
function described(request: RestRequest): string {
  return `${request.method} ${request.path}`;
}

/** What a failed fetch said, for the details (the cause keeps the error itself). */
function reasonOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
