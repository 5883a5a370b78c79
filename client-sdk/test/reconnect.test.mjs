// The server stops (SIGTERM) for 3 s while a client keeps sending, then comes
// back on the same port and data folder: every message reaches both clients
// exactly once and in seq order, and every send resolves once.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createClient } from "../dist/index.mjs";
import { record, sleep, startSeededServer, waitFor, within } from "./support/server.mjs";

const OUTAGE_MS = 3_000;
const SENT_DURING_OUTAGE = 10;

let server, demo, sender, watcher;

before(async () => {
  ({ server, demo } = await startSeededServer());
  sender = createClient({ url: server.url, getToken: async () => server.token("teacher_fr", "teacher") });
  watcher = createClient({ url: server.url, getToken: async () => server.token("pupil_de", "pupil") });
});

after(async () => {
  sender?.close();
  watcher?.close();
  await server?.dispose();
});

test("messages sent across a server restart arrive once each, in order, on both clients", async () => {
  const general = demo.rooms.general;
  const roomA = await within(sender.joinRoom(general), "the sender joining");
  const roomB = await within(watcher.joinRoom(general), "the watcher joining");
  const seenA = record(roomA, "message");
  const seenB = record(roomB, "message");
  const disconnections = record(sender, "disconnected");
  const settled = [];
  const track = (text) => {
    const promise = roomA.send(text);
    promise.then((m) => settled.push(["resolved", text, m.seq]), (e) => settled.push(["rejected", text, e.code]));
    return promise;
  };

  const before = [await track("before 1"), await track("before 2")];
  await waitFor(() => seenB.length === 2, "the watcher to see the first two");

  // Stop the server and keep sending through the outage.
  const stopped = server.stop("SIGTERM");
  const duringOutage = [];
  for (let i = 1; i <= SENT_DURING_OUTAGE; i++) {
    duringOutage.push(track(`during ${i}`));
    await sleep(OUTAGE_MS / SENT_DURING_OUTAGE);
  }
  await within(stopped, "the server to stop");
  assert.ok(disconnections.length >= 1, "the sender saw the connection drop");
  assert.ok(roomA.pendingSends.length > 0, "sends were queued while the server was down");
  await server.start();

  const stored = await within(Promise.all(duringOutage), "every send made during the outage to resolve", 30_000);
  const after = await within(track("after"), "a send after the restart");

  const texts = ["before 1", "before 2", ...duringOutage.map((_, i) => `during ${i + 1}`), "after"];
  const first = before[0].seq;
  const expected = texts.map((text, i) => [first + i, text]);
  await waitFor(() => seenA.length >= texts.length && seenB.length >= texts.length,
    "both clients to receive every message", 20_000);
  await sleep(300); // a duplicate would show up now

  for (const seen of [seenA, seenB]) {
    assert.deepEqual(seen.map((m) => [m.seq, m.text]), expected);
  }
  assert.deepEqual([...before, ...stored, after].map((m) => [m.seq, m.text]), expected);
  assert.equal(settled.length, texts.length, "each send settled exactly once");
  assert.ok(settled.every(([outcome]) => outcome === "resolved"));
  assert.equal(roomA.pendingSends.length, 0);
  assert.equal(roomA.state, "live");

  // The server's own history agrees: one message per send, no duplicates.
  const history = await roomB.history({ afterSeq: first - 1, limit: 200 });
  assert.deepEqual(history.messages.map((m) => [m.seq, m.text]), expected);
});
