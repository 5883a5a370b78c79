// isTwinspaceError recognises errors made by another copy of the SDK (the
// CommonJS build next to the ES module one, the browser file in another
// realm), where `instanceof` cannot; errors keep what caused them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { test } from "node:test";
import vm from "node:vm";

import * as esm from "../dist/index.mjs";
import { BROWSER_FILE } from "../scripts/build.mjs";

const cjs = createRequire(import.meta.url)("../dist/index.cjs");

/** The browser file evaluated in a realm of its own, as in an iframe. */
function browserRealm() {
  const window = { location: { href: "https://portal.example.org/" }, navigator: { userAgent: "test" },
    URL, setTimeout, clearTimeout, console };
  window.window = window;
  window.self = window;
  const context = vm.createContext(window);
  vm.runInContext(readFileSync(BROWSER_FILE, "utf8"), context, { filename: "twinspace.js" });
  return context.Twinspace;
}

test("the two builds are separate copies: instanceof does not cross them", () => {
  assert.notEqual(cjs.TwinspaceError, esm.TwinspaceError);
  const error = new cjs.NotFoundError("room.not_found", "Room not found.");
  assert.ok(!(error instanceof esm.TwinspaceError));
  assert.ok(error instanceof cjs.NotFoundError);
});

test("each copy's guard recognises the other copy's errors, with their codes and families", () => {
  for (const [maker, guard] of [[cjs, esm], [esm, cjs]]) {
    const error = new maker.NotFoundError("room.not_found", "Room not found.");
    assert.ok(guard.isTwinspaceError(error));
    assert.ok(guard.isTwinspaceError(error, "room.not_found"));
    assert.ok(guard.isTwinspaceError(error, "room."));
    assert.ok(!guard.isTwinspaceError(error, "permission.denied"));
    assert.ok(!guard.isTwinspaceError(error, "auth."));
    assert.ok(guard.isTwinspaceError(new maker.TwinspaceError("some.newer_code", "From a newer server.")));
  }
});

test("errors from another realm are recognised too", () => {
  const Twinspace = browserRealm();
  const error = new Twinspace.RateLimitedError("rate.limited", "Slow down.", { retry_after_secs: 3 });
  assert.ok(!(error instanceof Error), "another realm's Error");
  assert.ok(esm.isTwinspaceError(error, "rate."));
  assert.ok(cjs.isTwinspaceError(error, "rate.limited"));
  assert.equal(error.retryAfterSecs, 3);
  assert.ok(Twinspace.isTwinspaceError(new esm.AuthError("auth.expired", "Expired."), "auth."));
});

test("look-alikes are not TwinspaceErrors", () => {
  const forged = Object.assign(new Error("x"), { name: "TwinspaceError", code: "room.not_found" });
  for (const value of [forged, { code: "room.not_found", message: "x" }, new Error("plain"), null, undefined,
    "room.not_found", { [Symbol.for("@twinspace/client.TwinspaceError")]: true }]) {
    assert.ok(!esm.isTwinspaceError(value), String(value));
  }
});

test("the cause is passed through to Error", () => {
  const cause = new TypeError("fetch failed");
  const error = new esm.ConnectionError("client.network", "GET /files/f/meta failed.", {}, undefined, { cause });
  assert.equal(error.cause, cause);
  assert.deepEqual(error.details, {});
  assert.ok(!("cause" in new esm.TwinspaceError("a.b", "No cause.")));
});

test("a REST call that cannot reach the server: ConnectionError client.network, with the network error as cause", async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const client = esm.createClient({ url: `http://127.0.0.1:${port}`, token: "t", autoConnect: false });
  try {
    const error = await client.getFile("file_1").then(() => assert.fail("answered"), (e) => e);
    assert.ok(error instanceof esm.ConnectionError);
    assert.equal(error.code, "client.network");
    assert.ok(error.cause instanceof Error, "the fetch error");
  } finally {
    client.close();
  }
});
