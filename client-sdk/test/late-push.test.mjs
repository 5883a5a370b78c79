// A push that is only late (two server instances relay pushes out of seq order)
// fills its gap without a history request when it arrives within LATE_PUSH_WAIT_MS;
// a message that never comes is fetched once after that wait.

import assert from "node:assert/strict";
import { test } from "node:test";

import { build } from "esbuild";

/** An internal module of src/, compiled on the fly (it is not exported by the package). */
async function load(path) {
  const result = await build({
    entryPoints: [new URL(path, import.meta.url).pathname], bundle: true, format: "esm", platform: "neutral", write: false,
  });
  return import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].contents).toString("base64")}`);
}

const { Room, LATE_PUSH_WAIT_MS } = await load("../src/room.ts");

const ROOM = "room_1";
const message = (seq) => ({ seq, id: `msg_${seq}`, room_id: ROOM, text: `m${seq}`, edited_at: null, deleted: false });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A room on a transport that answers a join with message 1 and history with what `stored` holds. */
async function joinedRoom(stored) {
  const calls = [];
  const transport = {
    epoch: 1, connected: true, closed: false,
    async whenConnected() {},
    async request(event, payload) {
      calls.push({ event, payload, at: Date.now() });
      if (event === "room:join") {
        return { room: { id: ROOM }, write_state: { can_write: true }, online: [], last_read_seq: 0, last_seq: 1,
          messages: [message(1)], has_more: false, unread: 0 };
      }
      if (event === "chat:history") {
        return { messages: stored.filter((m) => m.seq > payload.after_seq), has_more: false };
      }
      throw new Error(`unexpected request ${event}`);
    },
  };
  const host = { transport, sendAckTimeoutMs: 10_000, forget() {}, unreadChanged() {} };
  const room = new Room(host, ROOM);
  await room.start({}, 5_000);
  const seen = [];
  room.on("message", (m) => seen.push(m.seq));
  return { room, calls, seen, histories: () => calls.filter((c) => c.event === "chat:history") };
}

async function until(check, what, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test("the SDK waits a short, documented time for a late push", () => {
  assert.equal(LATE_PUSH_WAIT_MS, 300);
});

test("a push arriving late but within the wait fills its gap without a history request", async () => {
  const { room, seen, histories } = await joinedRoom([message(1), message(2), message(3)]);
  room.handlePush("chat:message", message(3));
  assert.deepEqual(seen, [], "3 waits for 2");
  await sleep(LATE_PUSH_WAIT_MS / 3);
  room.handlePush("chat:message", message(2));
  assert.deepEqual(seen, [2, 3]);
  // A marker: a later gap that is never filled by a push is fetched after the wait; by then the
  // first gap's wait is long over, and the only fetch is the marker's.
  room.handlePush("chat:message", message(5));
  await until(() => histories().length > 0, "the marker's fetch");
  assert.deepEqual(histories().map((c) => c.payload.after_seq), [3]);
  room.shutdown(new Error("done"));
});

test("a push that never comes is fetched once, after the wait", async () => {
  const { room, seen, histories, calls } = await joinedRoom([message(1), message(2), message(3)]);
  const pushedAt = Date.now();
  room.handlePush("chat:message", message(3));
  await until(() => seen.length === 2, "the gap to be filled from history");
  assert.deepEqual(seen, [2, 3]);
  assert.equal(histories().length, 1);
  assert.equal(histories()[0].payload.after_seq, 1);
  assert.ok(histories()[0].at - pushedAt >= LATE_PUSH_WAIT_MS - 5, "fetched only after the wait");
  // A marker after the fetch: a new push in order is delivered at once and asks for nothing.
  room.handlePush("chat:message", message(4));
  assert.deepEqual(seen, [2, 3, 4]);
  assert.equal(calls.filter((c) => c.event === "chat:history").length, 1);
  room.shutdown(new Error("done"));
});
