/**
 * Search: one project's messages, threads, posts, one's own mail and files,
 * as far as the user may read them, over the `search:query` event. The
 * server restricts every query to what the searcher may read: a result can
 * never come from a room, a mailbox or a project they cannot open.
 */

import type { Transport } from "./transport.js";
import type { SearchIn, SearchPage, SearchResult } from "./wire.js";

/** What is searched: chat messages, forum threads (titles) and posts, one's own mail, file names. */
export type SearchKind = SearchResult["kind"];
/** Newest first (default) or best match first. */
export type SearchOrder = NonNullable<SearchIn["order"]>;

export interface SearchOptions {
  /** Only these kinds (all by default). */
  kinds?: SearchKind[];
  /** Only this chat room or forum. */
  spaceId?: string;
  /** Only what this person wrote, sent or uploaded. */
  authorId?: string;
  /** Created at or after (a Date, or an ISO 8601 time with its zone, e.g. `2026-10-01T00:00:00Z`). */
  since?: Date | string;
  /** Created before. */
  until?: Date | string;
  order?: SearchOrder;
  /** Results per page: up to 50, 20 by default. */
  limit?: number;
  /** The `next_cursor` of the previous page. */
  cursor?: string | null;
}

/** The pages of one search, one `next()` at a time. */
export interface SearchPager {
  /** The next page; `null` once the last page was given (and ever after). */
  next(): Promise<SearchPage | null>;
  /** True once the last page was given. */
  readonly done: boolean;
  /** Every result given so far, in order. */
  readonly results: readonly SearchResult[];
  /** Page after page, until the last. */
  [Symbol.asyncIterator](): AsyncIterator<SearchPage>;
}

/** @internal The payload of `search:query`: only the fields given. */
export function searchPayload(projectId: string, q: string, options: SearchOptions = {}): SearchIn {
  return {
    project_id: projectId,
    q,
    ...(options.kinds !== undefined ? { kinds: [...options.kinds] } : {}),
    ...(options.spaceId !== undefined ? { space_id: options.spaceId } : {}),
    ...(options.authorId !== undefined ? { author_id: options.authorId } : {}),
    ...(options.since !== undefined ? { since: stamp(options.since) } : {}),
    ...(options.until !== undefined ? { until: stamp(options.until) } : {}),
    ...(options.order !== undefined ? { order: options.order } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.cursor !== undefined && options.cursor !== null ? { cursor: options.cursor } : {}),
  };
}

/** @internal */
export function search(transport: Transport, projectId: string, q: string, options: SearchOptions = {}): Promise<SearchPage> {
  return transport.request("search:query", searchPayload(projectId, q, options), { repeatable: true });
}

/** @internal */
export function searchPager(transport: Transport, projectId: string, q: string, options: SearchOptions = {}): SearchPager {
  let cursor = options.cursor ?? null;
  let done = false;
  let pending: Promise<SearchPage | null> | null = null;
  const results: SearchResult[] = [];

  const fetchNext = async (): Promise<SearchPage | null> => {
    if (done) return null;
    const page = await search(transport, projectId, q, { ...options, cursor });
    results.push(...page.results);
    cursor = page.next_cursor;
    if (cursor === null) done = true;
    return page;
  };

  const pager: SearchPager = {
    // Calls made before the previous one resolved wait for it: pages never come twice or out of order.
    next() {
      const run = (pending ?? Promise.resolve(null)).catch(() => null).then(fetchNext);
      pending = run;
      return run;
    },
    get done() {
      return done;
    },
    get results() {
      return results;
    },
    [Symbol.asyncIterator]() {
      return {
        next: async (): Promise<IteratorResult<SearchPage>> => {
          const page = await pager.next();
          return page === null ? { done: true, value: undefined } : { done: false, value: page };
        },
      };
    },
  };
  return pager;
}

function stamp(value: Date | string): string {
  if (typeof value === "string") return value;
  if (Number.isNaN(value.getTime())) throw new TypeError("search: since and until must be valid dates.");
  return value.toISOString();
}
