// Type tests of the errors' request id (`npm run typecheck`): what support is given.

import { TwinspaceError, isTwinspaceError, type TwinspaceErrorOptions } from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(): T | void {}

declare const caught: unknown;

if (isTwinspaceError(caught)) {
  expectType<Equal<typeof caught.requestId, string | undefined>>();
  // @ts-expect-error: the request id is the server's, read-only
  caught.requestId = "0123456789abcdef";
}

export const made = new TwinspaceError("room.not_found", "Room not found.", {}, 404, { requestId: "0123456789abcdef" });
expectType<Equal<TwinspaceErrorOptions["requestId"], string | undefined>>();
// @ts-expect-error: a request id is a string
export const badId = new TwinspaceError("room.not_found", "Room not found.", {}, 404, { requestId: 7 });
