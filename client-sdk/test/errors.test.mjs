// Refusals carry the server's codes, as TwinspaceError subclasses.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  AuthError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TwinspaceError,
  ValidationError,
  createClient,
  isTwinspaceError,
} from "../dist/index.mjs";
import { startSeededServer, within } from "./support/server.mjs";

let server, demo, teacher, visitor, pupil, visitorsRoom;

before(async () => {
  // A tight chat rate limit: 3 messages a second per person.
  ({ server, demo } = await startSeededServer(["--chat-rate-messages", "3", "--chat-rate-window-secs", "1"]));
  const teacherToken = server.token("teacher_fr", "teacher");
  // A room visitors may read (but, being visitors, never write in).
  visitorsRoom = await server.api("POST", `/projects/${demo.project_id}/spaces`, teacherToken,
    { kind: "chat", name: "Parents' corner", visibility: "visitors" });
  teacher = createClient({ url: server.url, token: teacherToken });
  visitor = createClient({ url: server.url, token: server.token("visitor_parent", "visitor") });
  pupil = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { lang: "fr" }) });
});

after(async () => {
  for (const client of [teacher, visitor, pupil]) client?.close();
  await server?.dispose();
});

test("joining a room that does not exist: NotFoundError room.not_found", async () => {
  const error = await teacher.joinRoom("room_that_does_not_exist").then(() => assert.fail("joined"), (e) => e);
  assert.ok(error instanceof NotFoundError);
  assert.ok(error instanceof TwinspaceError);
  assert.ok(error instanceof Error);
  assert.equal(error.code, "room.not_found");
  assert.equal(error.name, "NotFoundError");
  assert.ok(isTwinspaceError(error));
  assert.ok(isTwinspaceError(error, "room.not_found"));
  assert.ok(isTwinspaceError(error, "room."));
  assert.ok(!isTwinspaceError(error, "permission.denied"));
  assert.ok(!isTwinspaceError(new Error("plain")));
  assert.equal(teacher.room("room_that_does_not_exist"), undefined);
  assert.match(error.requestId, /^[0-9a-f]{16}$/, "the id the server's log line carries, for support");
});

test("a visitor sending: ForbiddenError permission.denied, and the send settles once", async () => {
  const room = await within(visitor.joinRoom(visitorsRoom.id), "the visitor joining");
  const error = await room.send("Bonjour").then(() => assert.fail("sent"), (e) => e);
  assert.ok(error instanceof ForbiddenError);
  assert.equal(error.code, "permission.denied");
  assert.equal(room.pendingSends.length, 0, "a refused send is not retried");
  const pupilError = await pupil.joinRoom(demo.rooms.staff).then(() => assert.fail("joined"), (e) => e);
  assert.ok(pupilError instanceof ForbiddenError, "pupils never join the staff room");
});

test("over-long text: ValidationError request.invalid, in the token's language", async () => {
  const room = await within(pupil.joinRoom(demo.rooms.general), "the pupil joining");
  const error = await room.send("x".repeat(4_001)).then(() => assert.fail("sent"), (e) => e);
  assert.ok(error instanceof ValidationError);
  assert.equal(error.code, "request.invalid");
  assert.equal(error.message, "Requête invalide : vérifiez « text ».");  // the field, in French only
  assert.deepEqual(error.details, { field: "text" });
  const empty = await room.send("   ").then(() => assert.fail("sent"), (e) => e);
  assert.ok(empty instanceof ValidationError);
  // The queue goes on after refusals.
  const ok = await room.send("Après deux refus, celui-ci passe.");
  assert.equal(ok.author_id, "pupil_fr");
});

test("sends beyond the rate limit wait for the window, then go in order", async () => {
  const client = createClient({ url: server.url, token: server.token("pupil_de", "pupil") });
  try {
    const room = await within(client.joinRoom(demo.rooms.general), "the pupil joining");
    const texts = Array.from({ length: 7 }, (_, i) => `vite ${i + 1}`);
    const stored = await within(Promise.all(texts.map((text) => room.send(text))), "every send", 15_000);
    assert.deepEqual(stored.map((m) => m.text), texts);
    assert.deepEqual(stored.map((m) => m.seq - stored[0].seq), [0, 1, 2, 3, 4, 5, 6]);
  } finally {
    client.close();
  }
});

test("mail and forum refusals carry their own codes", async () => {
  const outsider = await teacher.mail.send({ projectId: demo.project_id, to: ["nobody_here"], subject: "?", body: "?" })
    .then(() => assert.fail("sent"), (e) => e);
  assert.ok(outsider instanceof ValidationError);
  assert.equal(outsider.code, "mail.recipient_not_member");

  const thread = await teacher.forum.createThread(demo.forum_id, { title: "Fermé", body: "Plus de réponses." });
  await teacher.forum.moderateThread(thread.id, { locked: true });
  const locked = await pupil.forum.createPost(thread.id, { body: "Encore une ?" }).then(() => assert.fail("posted"), (e) => e);
  assert.ok(locked instanceof ConflictError);
  assert.equal(locked.code, "forum.thread_locked");
});

test("REST refusals: NotFoundError file.not_found with its HTTP status", async () => {
  const error = await teacher.getFile("file_that_does_not_exist").then(() => assert.fail("found"), (e) => e);
  assert.ok(error instanceof NotFoundError);
  assert.equal(error.code, "file.not_found");
  assert.equal(error.status, 404);
  const refused = await visitor.uploadFile(demo.project_id, new Uint8Array([104, 105]), { name: "hi.txt" })
    .then(() => assert.fail("uploaded"), (e) => e);
  assert.ok(refused instanceof ForbiddenError);
  assert.equal(refused.code, "permission.denied");
  assert.equal(refused.status, 403);
});

test("a bad token in REST and Socket.IO alike is an AuthError", async () => {
  const forged = server.token("teacher_fr", "teacher").slice(0, -4) + "AAAA";
  const client = createClient({ url: server.url, token: forged });
  try {
    const error = await client.ready(5_000).then(() => assert.fail("connected"), (e) => e);
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, "auth.bad_signature");
    // The client closed itself: REST calls give the same reason.
    await assert.rejects(client.getFile("anything"), { code: "auth.bad_signature" });
  } finally {
    client.close();
  }
});
