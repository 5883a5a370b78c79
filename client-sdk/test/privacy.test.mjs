// Privacy through the SDK, against a real server: an admin exports a pupil's
// data and a pupil their own (a ZIP), another pupil may not; an admin sets
// the retention periods and a support officer holds the project; an erasure
// asked for and confirmed removes the pupil (their next request is refused)
// and the other members hear of it, their rooms dropping the pupil's presence.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ConflictError, ForbiddenError, TwinspaceError, createClient, isTwinspaceError } from "../dist/index.mjs";
import { startSeededServer, waitFor, within } from "./support/server.mjs";

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // "PK\x03\x04": a ZIP's first local file header

let server, demo, claire, jonas, lea, mats, support;

before(async () => {
  ({ server, demo } = await startSeededServer());
  claire = createClient({ url: server.url, token: server.token("teacher_fr", "teacher", { name: "Claire Martin" }) });
  jonas = createClient({ url: server.url, token: server.token("teacher_de", "teacher", { name: "Jonas Becker" }) });
  lea = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { name: "Léa", lang: "fr" }) });
  mats = createClient({ url: server.url, token: server.token("pupil_de", "pupil", { name: "Mats" }) });
  support = createClient({ url: server.url, token: server.token("support_demo", "support", { name: "Support" }) });
  await Promise.all([claire, jonas, lea, mats, support].map((client) => within(client.ready(), "connecting")));
});

after(async () => {
  for (const client of [claire, jonas, lea, mats, support]) client?.close();
  await server?.dispose();
});

/** Resolves with the first `event` of `emitter` that `match` accepts. */
function next(emitter, event, match = () => true, what = event) {
  return within(new Promise((resolve) => {
    const off = emitter.on(event, (data) => {
      if (!match(data)) return;
      off();
      resolve(data);
    });
  }), what);
}

async function assertZip(blob, what) {
  assert.ok(blob instanceof Blob, `${what} is a Blob`);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  assert.ok(bytes.length > 100, `${what} holds more than a header (${bytes.length} bytes)`);
  assert.equal(bytes.length, blob.size);
  assert.deepEqual([...bytes.subarray(0, 4)], ZIP_MAGIC, `${what} starts like a ZIP`);
  // The end of central directory record closes every ZIP.
  const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 65_557)));
  assert.ok(tail.includes(Buffer.from([0x50, 0x4b, 0x05, 0x06])), `${what} ends like a ZIP`);
  return bytes;
}

test("an admin exports a pupil's data, a pupil their own; another pupil is refused", async () => {
  const room = await within(lea.joinRoom(demo.rooms.general), "Léa joining");
  const text = "Export me: the Saône is greener than the Rhône.";
  await within(room.send(text), "Léa's send");

  const byAdmin = await within(claire.privacy.exportMember(demo.project_id, "pupil_fr"), "Claire's export");
  const bytes = await assertZip(byAdmin, "the admin's export");
  // The JSON files are stored in the ZIP as they are or deflated: the text shows in the first case only.
  assert.ok(bytes.length < 50 * 1024 * 1024, `a small export (${bytes.length} bytes)`);

  const mine = await within(lea.privacy.exportMine(demo.project_id), "Léa's own export");
  await assertZip(mine, "Léa's own export");

  const streamed = await within(lea.privacy.exportStream(demo.project_id), "Léa's export as a stream");
  assert.match(streamed.filename, /\.zip$/);
  let size = 0;
  let first;
  for await (const chunk of streamed.stream) {
    first ??= chunk.subarray(0, 4);
    size += chunk.byteLength;
  }
  assert.deepEqual([...first], ZIP_MAGIC);
  assert.ok(size > 100, `the stream held the ZIP (${size} bytes)`);

  const refused = await mats.privacy.exportMember(demo.project_id, "pupil_fr").then(() => assert.fail("exported"), (e) => e);
  assert.ok(refused instanceof ForbiddenError, `${refused}`);
  assert.equal(refused.code, "permission.denied");
  assert.equal(refused.status, 403);

  // Cancelled: client.aborted.
  const controller = new AbortController();
  controller.abort();
  const aborted = await claire.privacy.exportMember(demo.project_id, "pupil_fr", { signal: controller.signal })
    .then(() => assert.fail("not cancelled"), (e) => e);
  assert.ok(isTwinspaceError(aborted, "client.aborted"), `${aborted}`);
});

test("an admin sets the retention periods; a pupil may not; a support officer holds the project", async () => {
  const before = await within(claire.privacy.retention(demo.project_id), "the retention periods");
  for (const key of ["chat_retention_days", "forum_retention_days", "mail_retention_days", "file_retention_days"]) {
    assert.ok(key in before, `${key} is given`);
  }
  const project = await within(claire.privacy.setRetention(demo.project_id,
    { chatDays: 90, forumDays: null, mailDays: 365, fileDays: 180 }), "setting them");
  assert.equal(project.chat_retention_days, 90);
  assert.equal(project.forum_retention_days, null);
  assert.equal(project.mail_retention_days, 365);
  assert.equal(project.file_retention_days, 180);
  const now = await within(lea.privacy.retention(demo.project_id), "the periods as a pupil reads them");
  assert.equal(now.chat_retention_days, 90);
  assert.equal(now.file_retention_days, 180);

  // Only the periods given change.
  const partly = await within(claire.privacy.setRetention(demo.project_id, { chatDays: 30 }), "changing one");
  assert.equal(partly.chat_retention_days, 30);
  assert.equal(partly.mail_retention_days, 365);

  const refused = await lea.privacy.setRetention(demo.project_id, { chatDays: 1 }).then(() => assert.fail("set"), (e) => e);
  assert.ok(refused instanceof ForbiddenError, `${refused}`);
  const invalid = await claire.privacy.setRetention(demo.project_id, { chatDays: 0 }).then(() => assert.fail("set"), (e) => e);
  assert.ok(isTwinspaceError(invalid, "request.invalid"), `${invalid}`);

  const held = await within(support.privacy.holdProject(demo.project_id, true, "A parent's complaint is open."), "the hold");
  assert.equal(held.held, true);
  assert.equal(held.hold_reason, "A parent's complaint is open.");
  assert.equal((await within(claire.privacy.retention(demo.project_id), "the hold as an admin reads it")).held, true);
  const notSupport = await claire.privacy.holdProject(demo.project_id, false).then(() => assert.fail("lifted"), (e) => e);
  assert.ok(notSupport instanceof ForbiddenError, `${notSupport}`);
  const lifted = await within(support.privacy.holdProject(demo.project_id, false), "lifting the hold");
  assert.equal(lifted.held, false);
});

test("an erasure asked for and confirmed removes the pupil; the other members hear of it", async () => {
  const general = demo.rooms.general;
  const roomJonas = await within(jonas.joinRoom(general), "Jonas joining");
  const roomMats = await within(mats.joinRoom(general), "Mats joining");
  const text = "Mats was here, and his words go with him.";
  await within(roomMats.send(text), "Mats's send");
  await waitFor(() => roomJonas.online.some((p) => p.user_id === "pupil_de"), "Jonas to see Mats online");

  // Not by a pupil.
  const refused = await lea.privacy.requestErasure(demo.project_id, "pupil_de").then(() => assert.fail("asked"), (e) => e);
  assert.ok(refused instanceof ForbiddenError, `${refused}`);

  const asked = await within(claire.privacy.requestErasure(demo.project_id, "pupil_de"), "the erasure request");
  assert.equal(typeof asked.confirmation, "string");
  assert.ok(asked.confirmation.length > 0);
  assert.ok(Date.parse(asked.expires_at) > Date.now(), "the confirmation expires later");
  assert.ok(asked.summary.messages >= 1, `the summary counts Mats's messages (${JSON.stringify(asked.summary)})`);

  // A wrong confirmation erases nothing.
  const wrong = await claire.privacy.confirmErasure(demo.project_id, "pupil_de", `${asked.confirmation}-not`)
    .then(() => assert.fail("confirmed"), (e) => e);
  assert.ok(wrong instanceof ConflictError, `${wrong}`);
  assert.equal(wrong.code, "erasure.not_confirmed");
  assert.ok((await claire.listMembers(demo.project_id)).some((m) => m.user_id === "pupil_de"), "Mats is still a member");

  const heard = next(jonas.privacy, "erased", (e) => e.user_id === "pupil_de", "Jonas's erased event");
  const gone = next(roomJonas, "presence", (u) => u.left.includes("pupil_de"), "Mats leaving Jonas's room");
  const done = await within(claire.privacy.confirmErasure(demo.project_id, "pupil_de", asked.confirmation), "the erasure");
  assert.ok(done.summary.messages >= 1, JSON.stringify(done.summary));
  const erased = await heard;
  assert.equal(erased.project_id, demo.project_id);
  await gone;
  assert.ok(!roomJonas.online.some((p) => p.user_id === "pupil_de"), "Mats is no longer online in Jonas's room");

  // Mats's next request is refused; he is no member any more, and his text is gone from the room.
  const after = await within(mats.listSpaces(demo.project_id).then(() => undefined, (e) => e), "Mats's next request");
  assert.ok(after instanceof TwinspaceError, `Mats's next request is refused (${after})`);
  const members = await within(claire.listMembers(demo.project_id), "the members");
  assert.ok(!members.some((m) => m.user_id === "pupil_de"), "Mats is no longer a member");
  const history = await within(roomJonas.history({ limit: 50 }), "the room's history");
  assert.ok(!history.messages.some((m) => m.text === text), "Mats's message has no text any more");
});
