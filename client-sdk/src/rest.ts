/**
 * REST calls under `/api/v1` with `Authorization: Bearer`, for what only
 * REST does (files). A refused token is replaced once and the call repeated.
 */

import {
  ClientCodes,
  ConnectionError,
  TwinspaceError,
  closedError,
  fromWire,
  isRefreshable,
  makeError,
  timeoutError,
} from "./errors.js";
import type { TokenSource } from "./token.js";

export interface RestOptions {
  /** The API's base URL, e.g. `https://twinspace.example.org/api/v1`. */
  base: string;
  tokens: TokenSource;
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
  private readonly options: RestOptions;
  private closedBy: TwinspaceError | undefined;

  constructor(options: RestOptions) {
    this.options = options;
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
        throw new ConnectionError(ClientCodes.aborted, `${request.method} ${request.path} was cancelled.`);
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
          throw new ConnectionError(ClientCodes.aborted, `${request.method} ${request.path} was cancelled.`);
        }
        if (controller.signal.aborted) throw timeoutError(`${request.method} ${request.path}`);
        throw new ConnectionError(ClientCodes.network,
          `${request.method} ${request.path} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          {}, undefined, { cause });
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        // An unbounded call's body (a download) may still be arriving: the signal can still cancel it.
        if (!request.unbounded) request.signal?.removeEventListener("abort", cancel);
      }
      if (response.ok) return response;
      request.signal?.removeEventListener("abort", cancel);
      return new HttpFailure(errorFromBody(response.status, await response.text().catch(() => "")));
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
        throw new ConnectionError(ClientCodes.aborted, `${request.method} ${request.path} was cancelled.`);
      }
      throw new ConnectionError(ClientCodes.network,
        `${request.method} ${request.path} broke off: ${cause instanceof Error ? cause.message : String(cause)}`,
        {}, undefined, { cause });
    }
  }

  /** A call answered with JSON. */
  async json<T>(request: RestRequest): Promise<T> {
    const response = await this.fetch(request);
    try {
      return (await response.json()) as T;
    } catch {
      throw makeError(ClientCodes.badResponse, `${request.method} ${request.path} did not answer with JSON.`,
        {}, response.status);
    }
  }

  /** Refuse every later call with `error`. */
  close(error: TwinspaceError = closedError()): void {
    this.closedBy ??= error;
  }
}

/** A refused REST call, as the server described it. */
export class HttpFailure {
  constructor(readonly error: TwinspaceError) {}
}

/** The TwinspaceError for a refused call's status and body (`{"error": {code, message, data?}}`). */
export function errorFromBody(status: number, body: string): TwinspaceError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      return fromWire((parsed as { error: unknown }).error, status);
    }
  } catch {
    // not JSON: a proxy's page, say
  }
  return makeError(ClientCodes.badResponse, `The server answered ${status}.`, {}, status);
}
