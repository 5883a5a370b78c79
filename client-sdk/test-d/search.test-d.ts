// Type tests of search: the event, the client's methods, their options and
// what they give (`npm run typecheck`).

import {
  type AckOf,
  type PayloadOf,
  type SearchIn,
  type SearchKind,
  type SearchOptions,
  type SearchOrder,
  type SearchPage,
  type SearchPager,
  type SearchResult,
  type TwinspaceClient,
} from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(): T | void {}

declare const client: TwinspaceClient;

// ---- the wire

expectType<Equal<AckOf<"search:query">, SearchPage>>();
expectType<Equal<PayloadOf<"search:query">, SearchIn>>();
expectType<Equal<SearchKind, "message" | "thread" | "post" | "mail" | "file">>();
expectType<Equal<SearchOrder, "newest" | "best">>();
expectType<Equal<SearchPage["results"], SearchResult[]>>();
expectType<Equal<SearchPage["next_cursor"], string | null>>();
expectType<Equal<SearchResult["snippet_html"], string>>();
expectType<Equal<SearchResult["space_id"], string | null>>();
expectType<Equal<SearchResult["seq"], number | null>>();
expectType<Equal<SearchResult["author_id"], string | null>>(); // null in a visitor's view of a pupil

export const query: PayloadOf<"search:query"> = { project_id: "p1", q: "rhein", kinds: ["message"], order: "best" };
// @ts-expect-error: q is required
export const noQ: PayloadOf<"search:query"> = { project_id: "p1" };
// @ts-expect-error: kinds are a closed union
export const badKind: PayloadOf<"search:query"> = { project_id: "p1", q: "x", kinds: ["wiki"] };
// @ts-expect-error: the server forbids unknown fields, and so do the types
export const unknownField: PayloadOf<"search:query"> = { project_id: "p1", q: "x", fuzzy: true };

// ---- the client

expectType<Equal<ReturnType<TwinspaceClient["search"]>, Promise<SearchPage>>>();
expectType<Equal<ReturnType<TwinspaceClient["searchPager"]>, SearchPager>>();
expectType<Equal<ReturnType<SearchPager["next"]>, Promise<SearchPage | null>>>();
expectType<Equal<SearchPager["results"], readonly SearchResult[]>>();

export const options: SearchOptions = {
  kinds: ["message", "post"], spaceId: "room_1", authorId: "teacher_fr",
  since: new Date(), until: "2026-11-01T00:00:00Z", order: "newest", limit: 20, cursor: null,
};
export const page: Promise<SearchPage> = client.search("p1", "rhein", options);
export const bare: Promise<SearchPage> = client.search("p1", "rhein");
// @ts-expect-error: options are camelCase, as elsewhere in the SDK
export const snake = client.search("p1", "rhein", { space_id: "room_1" });
// @ts-expect-error: order is a closed union
export const badOrder = client.search("p1", "rhein", { order: "oldest" });
// @ts-expect-error: since is a Date or a string
export const badSince = client.search("p1", "rhein", { since: 1_700_000_000 });

export async function everyPage(): Promise<SearchResult[]> {
  const found: SearchResult[] = [];
  for await (const p of client.searchPager("p1", "rhein", { limit: 50 })) {
    expectType<Equal<typeof p, SearchPage>>();
    found.push(...p.results);
  }
  return found;
}
