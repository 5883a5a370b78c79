// The browser file: server/demo/twinspace.js must be what a fresh build of
// the SDK gives, and evaluated as a <script> it defines the global Twinspace.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

import { BROWSER_FILE, DEMO_FILE, buildBrowserFile } from "../scripts/build.mjs";

test("server/demo/twinspace.js is up to date with the SDK's sources", async () => {
  const fresh = Buffer.from(await buildBrowserFile());
  const again = Buffer.from(await buildBrowserFile());
  assert.ok(fresh.equals(again), "two builds give the same bytes");
  let committed;
  try {
    committed = readFileSync(DEMO_FILE);
  } catch {
    assert.fail("server/demo/twinspace.js is missing: run `npm run build` in client-sdk/");
  }
  assert.ok(committed.equals(fresh),
    "server/demo/twinspace.js differs from a fresh build: run `npm run build` in client-sdk/ and commit it");
  assert.ok(readFileSync(BROWSER_FILE).equals(fresh), "dist/twinspace.min.js is the same file");
});

test("evaluated in a page, it defines the global Twinspace", () => {
  const window = {
    location: { href: "https://portal.example.org/classes/5b/" },
    navigator: { userAgent: "Mozilla/5.0 (test)" },
    URL, setTimeout, clearTimeout, console,
  };
  window.window = window;
  window.self = window;
  const context = vm.createContext(window);
  vm.runInContext(readFileSync(DEMO_FILE, "utf8"), context, { filename: "twinspace.js" });

  const { Twinspace } = context;
  assert.equal(typeof Twinspace, "object");
  for (const name of ["createClient", "isTwinspaceError", "TwinspaceError", "AuthError", "ForbiddenError",
    "NotFoundError", "ValidationError", "RateLimitedError", "ConnectionError", "TimeoutError"]) {
    assert.equal(typeof Twinspace[name], "function", name);
  }
  const error = new Twinspace.NotFoundError("room.not_found", "Room not found.");
  assert.ok(Twinspace.isTwinspaceError(error, "room.not_found"));
  assert.equal(error.name, "NotFoundError", "class names survive minification");

  // A client made without connecting: the address resolves against the page's.
  const client = Twinspace.createClient({ url: "/twinspace", token: "t", autoConnect: false });
  assert.equal(client.state, "connecting");
  assert.equal(client.connected, false);
  client.close();
  assert.equal(client.state, "closed");
});
