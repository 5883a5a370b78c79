// Two SDK clients in the demo project's general room: messages, presence,
// typing, read state, edits, deletions and history.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createClient } from "../dist/index.mjs";
import { record, startSeededServer, waitFor, within } from "./support/server.mjs";

let server, demo, claire, jonas;

before(async () => {
  // A loose rate limit: one test sends more than a page of messages at once.
  ({ server, demo } = await startSeededServer(["--chat-rate-messages", "1000"]));
  claire = createClient({ url: server.url, token: server.token("teacher_fr", "teacher", { name: "Claire Martin" }) });
  jonas = createClient({ url: server.url, getToken: async () => server.token("teacher_de", "teacher", { name: "Jonas Becker" }) });
});

after(async () => {
  claire?.close();
  jonas?.close();
  await server?.dispose();
});

test("two clients exchange messages, each seeing the other's with author and seq", async () => {
  const general = demo.rooms.general;
  const roomA = await within(claire.joinRoom(general), "Claire joining");
  const roomB = await within(jonas.joinRoom(general), "Jonas joining");
  assert.equal(roomA.space.name, roomB.space.name);
  const seenA = record(roomA, "message");
  const seenB = record(roomB, "message");
  const start = roomA.seq;

  const first = await within(roomA.send("Bonjour de Lyon !"), "Claire's send");
  const second = await within(roomB.send("Hallo aus Köln! 👋"), "Jonas's send");
  const third = await within(roomA.send("On compare nos rivières ?", { replyTo: second.id }), "Claire's reply");

  assert.deepEqual([first.seq, second.seq, third.seq], [start + 1, start + 2, start + 3]);
  assert.equal(third.reply_to, second.id);
  await waitFor(() => seenA.length === 3 && seenB.length === 3, "both clients to see three messages");
  for (const seen of [seenA, seenB]) {
    assert.deepEqual(seen.map((m) => [m.seq, m.author_id, m.author_name, m.text]), [
      [start + 1, "teacher_fr", "Claire Martin", "Bonjour de Lyon !"],
      [start + 2, "teacher_de", "Jonas Becker", "Hallo aus Köln! 👋"],
      [start + 3, "teacher_fr", "Claire Martin", "On compare nos rivières ?"],
    ]);
  }
  assert.equal(roomA.seq, start + 3);
  assert.equal(roomB.seq, start + 3);
});

test("a room joined later starts with the latest messages in `recent`", async () => {
  const pupil = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { name: "Léa" }) });
  try {
    const room = await within(pupil.joinRoom(demo.rooms.general), "Léa joining");
    assert.deepEqual(room.recent.map((m) => m.text).slice(-3),
      ["Bonjour de Lyon !", "Hallo aus Köln! 👋", "On compare nos rivières ?"]);
    assert.equal(room.seq, room.recent.at(-1).seq);
    assert.equal(room.hasOlder, false);
    assert.ok(room.online.some((p) => p.user_id === "teacher_fr"), "Claire is online");
  } finally {
    pupil.close();
  }
});

test("joining with sinceSeq brings exactly the messages after it", async () => {
  const again = createClient({ url: server.url, token: server.token("teacher_de", "teacher") });
  try {
    const room = await within(again.joinRoom(demo.rooms.general, { sinceSeq: 1 }), "joining since seq 1");
    assert.deepEqual(room.recent.map((m) => m.seq), [2, 3]);
  } finally {
    again.close();
  }
});

test("presence, typing, read state, edits and deletions reach the other client", async () => {
  const roomA = claire.room(demo.rooms.general);
  const roomB = jonas.room(demo.rooms.general);
  const presence = record(roomB, "presence");
  const typing = record(roomB, "typing");
  const edited = record(roomB, "edited");
  const deleted = record(roomB, "deleted");
  const unread = record(roomB, "unread");

  const visitor = createClient({ url: server.url, token: server.token("pupil_de", "pupil", { name: "Mats" }) });
  try {
    await within(visitor.joinRoom(demo.rooms.general), "Mats joining");
    await waitFor(() => presence.some((p) => p.joined.some((e) => e.user_id === "pupil_de")), "Mats to come online");
    assert.ok(roomB.online.some((p) => p.user_id === "pupil_de"));
  } finally {
    visitor.close();
  }
  await waitFor(() => presence.some((p) => p.left.includes("pupil_de")), "Mats to go offline");
  assert.ok(!roomB.online.some((p) => p.user_id === "pupil_de"));

  assert.equal(await roomA.typing(), true);
  await waitFor(() => typing.length === 1, "the typing notice");
  assert.equal(typing[0].user.user_id, "teacher_fr");
  assert.equal(await roomA.typing(), false, "a second notice within 2 s is throttled");

  const message = await roomA.send("Une faute de frappe");
  await roomA.edit(message.id, "Sans faute de frappe");
  await waitFor(() => edited.length === 1, "the edit");
  assert.equal(edited[0].text, "Sans faute de frappe");
  await roomA.delete(message.id);
  await waitFor(() => deleted.length === 1, "the deletion");
  assert.equal(deleted[0].deleted, true);
  assert.equal(deleted[0].text, null);

  // Messages from others count as unread until read; another tab of the same person is told of the read.
  assert.ok(roomB.unread > 0, "Claire's messages are unread for Jonas");
  const otherTab = createClient({ url: server.url, token: server.token("teacher_de", "teacher") });
  try {
    const otherRoom = await within(otherTab.joinRoom(demo.rooms.general), "Jonas's other tab joining");
    const told = record(otherRoom, "unread");
    const marked = await roomB.markRead();
    assert.deepEqual([marked.unread, marked.last_read_seq], [0, roomB.seq]);
    assert.ok(unread.some((u) => u.last_read_seq === roomB.seq), "this client's own listeners are told");
    assert.equal(roomB.unread, 0);
    await waitFor(() => told.some((u) => u.last_read_seq === roomB.seq), "the other tab to be told");
    assert.equal(otherRoom.unread, 0);
  } finally {
    otherTab.close();
  }

  const page = await roomB.history({ beforeSeq: 3, limit: 2 });
  assert.deepEqual(page.messages.map((m) => m.seq), [1, 2]);
});

test("leaving a room stops its events and rejects later sends", async () => {
  const roomB = jonas.room(demo.rooms.general);
  const seen = record(roomB, "message");
  await roomB.leave();
  assert.equal(roomB.state, "left");
  assert.equal(jonas.room(demo.rooms.general), undefined);
  await claire.room(demo.rooms.general).send("Jonas est parti");
  await assert.rejects(roomB.send("trop tard"), { code: "client.closed" });
  assert.deepEqual(seen, []);
});

test("a client that was away catches up past one page, in order", async () => {
  const room = claire.room(demo.rooms.general);
  const from = room.seq;
  const count = 230; // more than the 200 a join brings: the rest comes from history
  for (let i = 1; i <= count; i++) await room.send(`n° ${i}`);
  const late = createClient({ url: server.url, token: server.token("pupil_fr", "pupil") });
  try {
    const joined = await within(late.joinRoom(demo.rooms.general, { sinceSeq: from }), "catching up", 20_000);
    assert.deepEqual(joined.recent.map((m) => m.text), Array.from({ length: count }, (_, i) => `n° ${i + 1}`));
    assert.equal(joined.seq, from + count);
  } finally {
    late.close();
  }
});
