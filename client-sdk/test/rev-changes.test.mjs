// Changes by rev, on a room whose transport is a stand-in: each message's state
// with the highest rev wins (a late push with a lower one changes nothing); a rev
// gap waits LATE_PUSH_WAIT_MS for the late push, then fetches chat:changes after
// the highest contiguous rev; a rejoin asks for since_rev and pages the feed.

import assert from "node:assert/strict";
import { test } from "node:test";

import { build } from "esbuild";

async function load(path) {
  const result = await build({
    entryPoints: [new URL(path, import.meta.url).pathname], bundle: true, format: "esm", platform: "neutral", write: false,
  });
  return import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].contents).toString("base64")}`);
}

const { Room, LATE_PUSH_WAIT_MS } = await load("../src/room.ts");

const ROOM = "room_1";
const FEATURES = { reactions: ["👍", "🎉"], seen_by: "names_to_staff" };
const message = (seq, rev, extra = {}) => ({
  seq, rev, id: `msg_${seq}`, room_id: ROOM, text: `m${seq}`, edited_at: null, deleted: false, hidden: false,
  reactions: [], pinned: false, pinned_at: null, poll: null, mentions: [], ...extra,
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const empty = { reactions: {}, votes: {} };

async function until(check, what, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A room joined on a stand-in server holding `state.messages` (current states) and `state.lastRev`. */
async function joinedRoom(state) {
  const calls = [];
  const transport = {
    epoch: 1, connected: true, closed: false,
    async whenConnected() {},
    async request(event, payload) {
      calls.push({ event, payload, at: Date.now() });
      const changed = (after) => state.messages.filter((m) => m.rev > after).sort((a, b) => a.rev - b.rev);
      if (event === "room:join") {
        const since = payload.since_rev;
        const messages = since === undefined ? state.messages : changed(since).slice(0, state.pageSize ?? 200);
        return { room: { id: ROOM, project_id: "p" }, write_state: { can_write: true }, online: [], last_read_seq: 0,
          last_seq: Math.max(...state.messages.map((m) => m.seq)), messages,
          has_more: since === undefined ? false : changed(since).length > messages.length, unread: 0,
          last_rev: state.lastRev, pinned: state.messages.filter((m) => m.pinned), seen: state.seen ?? [],
          mine: state.mine ?? empty, mentions: 0, features: FEATURES };
      }
      if (event === "chat:changes") {
        const all = changed(payload.after_rev);
        const messages = all.slice(0, state.pageSize ?? 200);
        return { room_id: ROOM, messages, has_more: all.length > messages.length, last_rev: state.lastRev,
          seen: [], mine: empty };
      }
      if (event === "chat:history") return { messages: [], has_more: false, seen: [], mine: empty };
      throw new Error(`unexpected request ${event}`);
    },
  };
  const host = { transport, sendAckTimeoutMs: 10_000, forget() {}, unreadChanged() {} };
  const room = new Room(host, ROOM);
  await room.start({}, 5_000);
  const changes = [];
  const delivered = [];
  room.on("messageChanged", (c) => changes.push([c.kind, c.message.seq, c.message.rev]));
  room.on("message", (m) => delivered.push(m.seq));
  return { room, calls, changes, delivered, feeds: () => calls.filter((c) => c.event === "chat:changes") };
}

test("a change with a lower rev than the one held changes nothing", async () => {
  const state = { messages: [message(1, 1), message(2, 2)], lastRev: 2 };
  const { room, changes } = await joinedRoom(state);
  assert.equal(room.lastRev, 2);
  room.handlePush("chat:message_edited", message(1, 4, { text: "second edit", edited_at: "2026-01-01T10:00:02Z" }));
  room.handlePush("chat:message_edited", message(1, 3, { text: "first edit", edited_at: "2026-01-01T10:00:01Z" }));
  assert.equal(room.message("msg_1").text, "second edit");
  assert.deepEqual(changes, [["edited", 1, 4]], "the late, older edit is ignored");
  assert.equal(room.lastRev, 4, "3 then filled the gap below 4");
  room.handlePush("chat:reactions_changed", message(2, 5, { reactions: [{ emoji: "👍", count: 1 }] }));
  room.handlePush("chat:pin_changed", message(2, 6, { reactions: [{ emoji: "👍", count: 1 }], pinned: true,
    pinned_at: "2026-01-01T10:00:03Z" }));
  assert.deepEqual(changes.slice(1), [["reactions", 2, 5], ["pin", 2, 6]]);
  assert.deepEqual(room.pinned.map((m) => m.id), ["msg_2"]);
  room.shutdown(new Error("done"));
});

test("a rev gap waits for the late push, then fetches the changes after the highest contiguous rev", async () => {
  const state = { messages: [message(1, 1), message(2, 2)], lastRev: 2 };
  const { room, changes, feeds } = await joinedRoom(state);
  // Rev 3 (an edit of 1) is late but comes within the wait: nothing is fetched.
  room.handlePush("chat:message_deleted", message(2, 4, { text: null, deleted: true }));
  await sleep(LATE_PUSH_WAIT_MS / 3);
  room.handlePush("chat:message_edited", message(1, 3, { text: "edited", edited_at: "2026-01-01T10:00:01Z" }));
  assert.equal(room.lastRev, 4);
  // Rev 5 never comes: after the wait, one fetch after 4 brings it (and 6).
  state.messages = [message(1, 5, { text: "edited", hidden: true }), message(2, 4, { text: null, deleted: true }),
    message(3, 6)];
  state.lastRev = 6;
  const pushedAt = Date.now();
  room.handlePush("chat:message", message(3, 6));
  await until(() => room.lastRev === 6, "the feed to fill the gap");
  assert.deepEqual(feeds().map((c) => c.payload.after_rev), [4]);
  assert.ok(feeds()[0].at - pushedAt >= LATE_PUSH_WAIT_MS - 5, "fetched only after the wait");
  assert.deepEqual(changes, [["deleted", 2, 4], ["edited", 1, 3], ["hidden", 1, 5]]);
  assert.equal(room.message("msg_1").hidden, true);
  room.shutdown(new Error("done"));
});

test("a rejoin asks for since_rev and pages the change feed while has_more", async () => {
  const state = { messages: [message(1, 1), message(2, 2)], lastRev: 2, pageSize: 2 };
  const { room, calls, changes, delivered } = await joinedRoom(state);
  state.messages = [
    message(1, 5, { text: "edited", edited_at: "2026-01-01T10:00:01Z" }),
    message(2, 7, { text: null, deleted: true }),
    message(3, 3, { poll: { question: "q", options: [{ text: "a", votes: 1 }, { text: "b", votes: 0 }], voters: 1 } }),
    message(4, 6),
  ];
  state.lastRev = 7;
  room.suspend();
  room.resume(1);
  await until(() => room.lastRev === 7 && room.state === "live", "the rejoin to page through the feed");
  const join = calls.filter((c) => c.event === "room:join").at(-1);
  assert.deepEqual(join.payload, { room_id: ROOM, since_rev: 2 });
  assert.deepEqual(calls.filter((c) => c.event === "chat:changes").map((c) => c.payload.after_rev), [5]);
  assert.deepEqual(delivered, [3, 4], "new messages still come in seq order");
  assert.deepEqual(changes, [["edited", 1, 5], ["deleted", 2, 7]]);
  assert.equal(room.message("msg_2").deleted, true);
  room.shutdown(new Error("done"));
});
