// Short-lived tokens: an expired token is refused and replaced through
// getToken, tokens are refreshed before they expire, and messages sent
// across the expiry (and a reconnection after it) are delivered once each.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createClient, isTwinspaceError } from "../dist/index.mjs";
import { record, sleep, startSeededServer, waitFor, within } from "./support/server.mjs";

const TTL_SECS = 3;

let server, demo;
const clients = [];

before(async () => {
  // No clock-skew leeway, so a token is refused the moment it expires.
  ({ server, demo } = await startSeededServer(["--jwt-leeway-secs", "0"]));
});

after(async () => {
  for (const client of clients) client.close();
  await server?.dispose();
});

test("an expired token is refused, replaced through getToken, and messages survive expiry and reconnection", async () => {
  const handedOut = [];
  const getToken = async () => {
    // The first token has already expired: the server refuses it and the client must ask again.
    const token = handedOut.length === 0
      ? server.token("teacher_fr", "teacher", { ttlSecs: 10, issuedAt: Math.floor(Date.now() / 1000) - 20 })
      : server.token("teacher_fr", "teacher", { ttlSecs: TTL_SECS });
    handedOut.push({ at: Date.now(), token });
    return token;
  };
  const sender = createClient({ url: server.url, getToken, reconnectDelayMaxMs: 1_000 });
  const watcher = createClient({ url: server.url, token: server.token("teacher_de", "teacher") });
  clients.push(sender, watcher);
  const errors = record(sender, "error");

  const roomA = await within(sender.joinRoom(demo.rooms.general), "the sender joining");
  assert.equal(handedOut.length, 2, "getToken was asked again after the expired token was refused");
  assert.deepEqual(errors, [], "a refusal cured by a new token is not an error for the application");
  const roomB = await within(watcher.joinRoom(demo.rooms.general), "the watcher joining");
  const seenB = record(roomB, "message");
  const seenA = record(roomA, "message");
  const start = roomA.seq;

  // Send for twice the token's lifetime; the server restarts once the first good token has expired,
  // so the client reconnects and must present a token that is still valid.
  const sends = [];
  let restarted;
  const firstGood = handedOut[1].at;
  for (let i = 1; i <= 12; i++) {
    sends.push(roomA.send(`message ${i}`));
    if (!restarted && Date.now() > firstGood + TTL_SECS * 1000 + 200) {
      restarted = server.stop().then(() => server.start());
    }
    await sleep(500);
  }
  assert.ok(restarted, "the server was restarted after the first token expired");
  await within(restarted, "the restart", 30_000);
  const stored = await within(Promise.all(sends), "every send to resolve", 30_000);

  const expected = stored.map((_, i) => [start + i + 1, `message ${i + 1}`]);
  assert.deepEqual(stored.map((m) => [m.seq, m.text]), expected);
  await waitFor(() => seenA.length >= 12 && seenB.length >= 12, "both clients to receive every message", 20_000);
  await sleep(300);
  assert.deepEqual(seenA.map((m) => [m.seq, m.text]), expected);
  assert.deepEqual(seenB.map((m) => [m.seq, m.text]), expected);

  // Refreshed ahead of expiry: more than the two tokens of the start were asked for.
  assert.ok(handedOut.length >= 4, `getToken was called ${handedOut.length} times`);
  assert.deepEqual(errors.filter((e) => isTwinspaceError(e, "auth.")), [], "no later token was refused");

  // REST calls use a valid token too, well after the first ones expired.
  const me = await sender.me();
  assert.equal(me.id, "teacher_fr");
  const file = await sender.uploadFile(demo.project_id, new TextEncoder().encode("still signed in"), { name: "t.txt" });
  assert.equal(file.size, 15);
});

test("a client whose fixed token is refused closes with an AuthError", async () => {
  const expired = server.token("teacher_fr", "teacher", { ttlSecs: 5, issuedAt: Math.floor(Date.now() / 1000) - 60 });
  const client = createClient({ url: server.url, token: expired });
  clients.push(client);
  const closed = new Promise((resolve) => client.on("closed", resolve));
  const error = await within(closed, "the client to close");
  assert.equal(error.code, "auth.expired");
  assert.equal(error.name, "AuthError");
  assert.equal(client.state, "closed");
  await assert.rejects(client.me(), { code: "auth.expired" });
  await assert.rejects(client.joinRoom(demo.rooms.general), { code: "client.closed" });
});

test("a getToken that fails is reported and asked again", async () => {
  let calls = 0;
  const client = createClient({
    url: server.url,
    reconnectDelayMs: 100,
    getToken: async () => {
      calls += 1;
      if (calls === 1) throw new Error("portal unreachable");
      return server.token("pupil_fr", "pupil");
    },
  });
  clients.push(client);
  const errors = record(client, "error");
  await within(client.ready(), "the client to connect");
  assert.equal(errors[0].code, "client.token_unavailable");
  assert.equal(errors[0].message, "Your sign-in could not be checked. Reload the page, or sign in again.");
  assert.equal(errors[0].cause?.message, "portal unreachable", "what getToken threw is the cause");
  assert.deepEqual(errors[0].details, { reason: "getToken() failed: portal unreachable" });
  assert.equal((await client.me()).id, "pupil_fr");
});
