// A client offline while messages change rejoins with exactly the room's current
// state: it rejoins with since_rev and pages the change feed, so an edit, a
// teacher's deletion, a reaction and a vote made while it was away all reach it,
// and it ends holding what a fresh client holds.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createClient } from "../dist/index.mjs";
import { record, startSeededServer, waitFor, within } from "./support/server.mjs";

let server, demo, claire, mats, lea;

before(async () => {
  ({ server, demo } = await startSeededServer(["--chat-rate-messages", "1000"]));
  claire = createClient({ url: server.url, token: server.token("teacher_fr", "teacher", { name: "Claire Martin" }) });
  mats = createClient({ url: server.url, token: server.token("pupil_de", "pupil", { name: "Mats" }) });
  lea = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { name: "Léa", lang: "fr" }) });
});

after(async () => {
  for (const client of [claire, mats, lea]) client?.close();
  await server?.dispose();
});

/**
 * Take a client off the network and back, as a lost Wi-Fi would. The SDK has no
 * "go offline" call; its Socket.IO socket (internal) is disconnected and connected again.
 */
function offline(client) {
  const socket = client.transport.socket;
  socket.disconnect();
  return () => socket.connect();
}

/** What an application holding a room shows: `recent`, then new messages, each replaced by its changes. */
function view(room) {
  const shown = new Map(room.recent.map((m) => [m.id, m]));
  room.on("message", (m) => shown.set(m.id, m));
  room.on("messageChanged", ({ message }) => shown.set(message.id, message));
  return shown;
}

/** The room as a fresh client of the same person sees it: every message, as it is now. */
async function freshState(roomId) {
  const fresh = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { name: "Léa", lang: "fr" }) });
  try {
    const room = await within(fresh.joinRoom(roomId), "a fresh client joining");
    const page = await within(room.history({ afterSeq: 0, limit: 200 }), "the fresh client's history");
    return { messages: page.messages, lastRev: room.lastRev, pinned: room.pinned };
  } finally {
    fresh.close();
  }
}

async function sameAsFresh(away, shown) {
  const fresh = await freshState(away.id);
  await waitFor(() => away.lastRev >= fresh.lastRev, "the returning client to reach the room's latest rev");
  assert.equal(away.lastRev, fresh.lastRev);
  assert.deepEqual([...shown.keys()].sort(), fresh.messages.map((m) => m.id).sort(), "the same messages");
  for (const message of fresh.messages) {
    assert.deepEqual(shown.get(message.id), message, `message ${message.seq} as the application shows it`);
    assert.deepEqual(away.message(message.id), message, `message ${message.seq} as the room holds it`);
  }
  assert.deepEqual(away.pinned.map((m) => m.id), fresh.pinned.map((m) => m.id));
}

test("edits and a teacher's deletion made while a client was offline reach it when it rejoins", async () => {
  const general = demo.rooms.general;
  const teacherRoom = await within(claire.joinRoom(general), "Claire joining");
  const matsRoom = await within(mats.joinRoom(general), "Mats joining");
  const away = await within(lea.joinRoom(general), "Léa joining");
  const shown = view(away);
  const changes = record(away, "messageChanged");
  const deleted = record(away, "deleted");

  const first = await within(matsRoom.send("Our river is the Rhine"), "Mats's first message");
  const second = await within(matsRoom.send("something unkind"), "Mats's second message");
  await waitFor(() => shown.has(second.id), "Léa to see both messages");

  const back = offline(lea);
  await waitFor(() => !lea.connected && away.state === "offline", "Léa to be offline");
  const edited = await within(matsRoom.edit(first.id, "Our river is the Rhine, 1,233 km long"), "Mats's edit");
  const removed = await within(teacherRoom.delete(second.id), "Claire's deletion");
  const third = await within(matsRoom.send("And yours?"), "a message sent while Léa is away");
  assert.ok(removed.deleted && removed.rev > edited.rev && third.rev > removed.rev);
  assert.equal(shown.get(first.id).text, "Our river is the Rhine", "nothing reached Léa while offline");

  back();
  await waitFor(() => away.state === "live" && away.lastRev >= third.rev, "Léa to rejoin and catch up");
  assert.deepEqual(changes.map((c) => [c.kind, c.message.id]), [["edited", first.id], ["deleted", second.id]]);
  assert.deepEqual(deleted.map((m) => m.id), [second.id]);
  assert.equal(shown.get(first.id).text, "Our river is the Rhine, 1,233 km long");
  assert.equal(shown.get(second.id).text, null, "the deleted text is never shown again");
  assert.equal(shown.get(third.id).text, "And yours?");
  await sameAsFresh(away, shown);
  await within(away.leave(), "Léa leaving"); // the next test joins afresh and shows the whole room
});

test("a reaction and a vote made while a client was offline reach it when it rejoins", async () => {
  const general = demo.rooms.general;
  const teacherRoom = await within(claire.joinRoom(general), "Claire joining");
  const matsRoom = await within(mats.joinRoom(general), "Mats joining");
  const away = await within(lea.joinRoom(general), "Léa joining");
  const shown = view(away);
  const changes = record(away, "messageChanged");

  const poll = await within(teacherRoom.createPoll({ question: "Which river is longer?", options: ["Rhine", "Rhône"] }),
    "Claire's poll");
  const note = await within(matsRoom.send("I looked it up"), "Mats's message");
  await waitFor(() => shown.has(poll.id) && shown.has(note.id), "Léa to see the poll and the message");
  assert.deepEqual(away.myVote(poll.id), []);

  const back = offline(lea);
  await waitFor(() => !lea.connected && away.state === "offline", "Léa to be offline");
  const voted = await within(matsRoom.vote(poll.id, [0]), "Mats's vote");
  assert.deepEqual(voted.choices, [0]);
  assert.deepEqual(matsRoom.myVote(poll.id), [0]);
  const reacted = await within(teacherRoom.react(note.id, "👍"), "Claire's reaction");
  assert.deepEqual(teacherRoom.myReactions(note.id), ["👍"]);
  const pinned = await within(teacherRoom.pin(poll.id), "Claire pinning the poll");
  assert.ok(pinned.rev > reacted.rev && reacted.rev > voted.message.rev);

  back();
  await waitFor(() => away.state === "live" && away.lastRev >= pinned.rev, "Léa to rejoin and catch up");
  assert.deepEqual(changes.map((c) => c.message.id).sort(), [poll.id, note.id].sort(), "each changed message once");
  assert.equal(shown.get(poll.id).poll.voters, 1);
  assert.deepEqual(shown.get(poll.id).poll.options.map((o) => o.votes), [1, 0]);
  assert.deepEqual(shown.get(note.id).reactions, [{ emoji: "👍", count: 1 }]);
  assert.deepEqual(away.myReactions(note.id), [], "Claire's reaction is not Léa's");
  assert.deepEqual(away.pinned.map((m) => m.id), [poll.id]);
  await sameAsFresh(away, shown);

  // Léa votes now: her own mark is kept, and Claire's window sees the count live.
  const counted = record(teacherRoom, "messageChanged");
  await within(away.vote(poll.id, [1]), "Léa's vote");
  assert.deepEqual(away.myVote(poll.id), [1]);
  await waitFor(() => counted.some((c) => c.kind === "poll" && c.message.poll.voters === 2), "Claire to see two voters");
});
