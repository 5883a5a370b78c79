// Safeguarding through the SDK, against a real server: a pupil's report
// reaches the teachers live, and the reporter hears it was handled; a mute,
// an announcements-only room and slow mode refuse a pupil's sends with typed
// errors, and each room's writeState says so; a hidden message reaches the
// room without its text.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  ConflictError,
  ForbiddenError,
  RateLimitedError,
  ValidationError,
  createClient,
  isTwinspaceError,
} from "../dist/index.mjs";
import { record, startSeededServer, waitFor, within } from "./support/server.mjs";

let server, demo, claire, jonas, lea, mats;

before(async () => {
  ({ server, demo } = await startSeededServer());
  claire = createClient({ url: server.url, token: server.token("teacher_fr", "teacher", { name: "Claire Martin" }) });
  jonas = createClient({ url: server.url, token: server.token("teacher_de", "teacher", { name: "Jonas Becker" }) });
  lea = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { name: "Léa", lang: "fr" }) });
  mats = createClient({ url: server.url, token: server.token("pupil_de", "pupil", { name: "Mats" }) });
  await Promise.all([claire, jonas, lea, mats].map((client) => within(client.ready(), "connecting")));
});

after(async () => {
  for (const client of [claire, jonas, lea, mats]) client?.close();
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

test("a pupil reports a message: both teachers get it live, as it was, and the reporter hears it was handled", async () => {
  const general = demo.rooms.general;
  const roomMats = await within(mats.joinRoom(general), "Mats joining");
  await within(lea.joinRoom(general), "Léa joining");
  const matsReports = record(mats.moderation, "reportCreated");
  const text = "Nobody wants you in this project, Léa.";
  const message = await within(roomMats.send(text), "Mats's send");

  const seenByClaire = next(claire.moderation, "reportCreated", (r) => r.item.id === message.id, "Claire's reportCreated");
  const seenByJonas = next(jonas.moderation, "reportCreated", (r) => r.item.id === message.id, "Jonas's reportCreated");
  const mine = await within(lea.moderation.report({ kind: "message", id: message.id, roomId: general }, "bullying",
    { note: "He keeps saying this." }), "Léa's report");
  assert.equal(mine.state, "open");
  assert.equal(mine.reason, "bullying");

  const [report, jonasReport] = await Promise.all([seenByClaire, seenByJonas]);
  assert.equal(jonasReport.id, report.id);
  assert.equal(report.state, "open");
  assert.equal(report.item.kind, "message");
  assert.equal(report.item.text, text);
  assert.equal(report.item.author_id, "pupil_de");
  assert.equal(report.reporter_id, "pupil_fr");
  assert.equal(report.reason, "bullying");
  assert.equal(report.note, "He keeps saying this.");

  // The queue holds it; the edited message stays in the report as it was.
  await within(roomMats.edit(message.id, "Sorry."), "Mats's edit");
  const queue = await within(claire.moderation.reports(demo.project_id, { state: "open" }), "the queue");
  const queued = queue.reports.find((r) => r.id === report.id);
  assert.ok(queued, "the report is in the open queue");
  assert.equal(queued.item.text, text);
  const fetched = await within(claire.moderation.getReport(report.id), "getReport");
  assert.equal(fetched.item.text, text);

  // Twice: refused.
  const again = await lea.moderation.report({ kind: "message", id: message.id, roomId: general }, "spam")
    .then(() => assert.fail("reported twice"), (e) => e);
  assert.ok(again instanceof ConflictError, `${again}`);
  assert.equal(again.code, "report.duplicate");
  assert.ok(isTwinspaceError(again, "report."));

  // The teacher resolves it: the reporter is told, the report leaves the open queue.
  const handled = next(lea.moderation, "reportHandled", (r) => r.id === mine.id, "Léa's reportHandled");
  const updated = next(jonas.moderation, "reportUpdated", (r) => r.id === report.id, "Jonas's reportUpdated");
  const decided = await within(claire.moderation.decideReport(report.id, { state: "resolved", action: "warned", note: "Spoke to him." }),
    "the decision");
  assert.equal(decided.state, "resolved");
  assert.equal((await handled).state, "resolved");
  assert.equal((await updated).state, "resolved");
  const twice = await claire.moderation.decideReport(report.id, { state: "dismissed" }).then(() => assert.fail("decided twice"), (e) => e);
  assert.ok(twice instanceof ConflictError);
  assert.equal(twice.code, "report.bad_state");
  const mineNow = await within(lea.moderation.myReports(), "Léa's reports");
  assert.equal(mineNow.reports.find((r) => r.id === mine.id)?.state, "resolved");

  // The reported pupil heard nothing of it.
  assert.deepEqual(matsReports, []);
});

test("a mute: the pupil's writeState says until when, and a send is refused with ForbiddenError chat.muted", async () => {
  const general = demo.rooms.general;
  const room = await within(mats.joinRoom(general), "Mats joining");
  assert.equal(room.writeState.can_write, true);
  const told = next(mats.moderation, "muted", (s) => s.mutes.length > 0, "Mats's muted push");
  const blocked = next(room, "writeState", (w) => !w.can_write, "Mats's writeState");

  const state = await within(claire.moderation.mute(demo.project_id, "pupil_de", 10), "the mute");
  assert.equal(state.user_id, "pupil_de");
  assert.equal(state.mutes.length, 1);
  assert.equal((await told).mutes.length, 1);
  const writeState = await blocked;
  assert.equal(writeState.reason, "chat.muted");
  assert.ok(Date.parse(writeState.until) > Date.now(), "the mute ends later");
  assert.equal(room.writeState.reason, "chat.muted");

  const error = await within(room.send("Can I still write?"), "the refused send").then(() => assert.fail("sent"), (e) => e);
  assert.ok(error instanceof ForbiddenError, `${error}`);
  assert.equal(error.code, "chat.muted");
  assert.equal(typeof error.until, "string");
  assert.equal(room.pendingSends.length, 0, "a refused send is not retried");

  // Teachers are never muted; the other pupil still writes.
  const notMutable = await claire.moderation.mute(demo.project_id, "teacher_de", 5).then(() => assert.fail("muted"), (e) => e);
  assert.ok(notMutable instanceof ValidationError, `${notMutable}`);
  assert.equal(notMutable.code, "member.not_mutable");
  await within((await lea.joinRoom(general)).send("I can."), "Léa's send");

  // Unmuted: writing again.
  const free = next(room, "writeState", (w) => w.can_write, "Mats's writeState after the unmute");
  await within(claire.moderation.unmute(demo.project_id, "pupil_de"), "the unmute");
  assert.equal((await free).reason, null);
  await within(room.send("Sorry, I will be kind."), "Mats's send after the unmute");
});

test("an announcements room and slow mode refuse pupils, not teachers", async () => {
  const general = demo.rooms.general;
  const room = await within(mats.joinRoom(general), "Mats joining");
  const teacherRoom = await within(claire.joinRoom(general), "Claire joining");
  try {
    const updated = next(room, "updated", (s) => s.read_only, "Mats's room:updated");
    const space = await within(claire.moderation.configureRoom(general, { readOnly: true }), "read-only on");
    assert.equal(space.read_only, true);
    await updated;
    assert.equal(room.space.read_only, true);
    await waitFor(() => room.writeState.reason === "chat.read_only", "Mats's writeState to say read-only");
    const refused = await within(room.send("Hello?"), "the refused send").then(() => assert.fail("sent"), (e) => e);
    assert.ok(refused instanceof ForbiddenError);
    assert.equal(refused.code, "chat.read_only");
    await within(teacherRoom.send("Announcement: the trip is on Friday."), "Claire's announcement");

    await within(claire.moderation.configureRoom(general, { readOnly: false, slowModeSecs: 60 }), "slow mode on");
    await waitFor(() => room.writeState.can_write && room.writeState.slow_mode_secs === 60, "Mats's writeState to say slow mode");
    await within(room.send("First."), "Mats's first send");
    const slow = await within(room.send("Second, too soon."), "the slowed send").then(() => assert.fail("sent"), (e) => e);
    assert.ok(slow instanceof RateLimitedError, `${slow}`);
    assert.equal(slow.code, "chat.slow_mode");
    assert.ok(slow.retryAfterSecs > 0 && slow.retryAfterSecs <= 60);
    assert.equal(room.writeState.reason, "chat.slow_mode");
    // Teachers are never slowed.
    await within(teacherRoom.send("One."), "Claire's first");
    await within(teacherRoom.send("Two."), "Claire's second");
  } finally {
    await claire.moderation.configureRoom(general, { readOnly: false, slowModeSecs: 0 });
  }
});

test("a hidden message reaches the room without its text; shown again, it has it back", async () => {
  const general = demo.rooms.general;
  const room = await within(lea.joinRoom(general), "Léa joining");
  const teacherRoom = await within(claire.joinRoom(general), "Claire joining");
  const message = await within(room.send("Here is my phone number: 0601020304"), "Léa's send");
  await waitFor(() => teacherRoom.seq >= message.seq, "Claire to get the message");

  const hidden = next(room, "hidden", (m) => m.id === message.id && m.hidden, "the hidden push");
  const answer = await within(teacherRoom.hide(message.id), "the hide");
  assert.equal(answer.hidden, true);
  const pushed = await hidden;
  assert.equal(pushed.text, null);
  assert.deepEqual(pushed.attachments, []);
  assert.equal(pushed.hidden_by, "teacher_fr");

  const shown = next(room, "hidden", (m) => m.id === message.id && !m.hidden, "the shown push");
  await within(claire.moderation.hideMessage(general, message.id, false), "showing it again");
  assert.equal((await shown).text, message.text);
});

test("supervised mail: a teacher reads a pupils' conversation and removes a mail from every mailbox; the audit log has it all", async () => {
  const received = next(mats.mail, "received", (copy) => copy.mail.subject === "Photos of the bridge", "Mats's mail");
  const sent = await within(lea.mail.send({ projectId: demo.project_id, to: ["pupil_de"], subject: "Photos of the bridge",
    body: "Here are ours." }), "Léa's mail");
  await received;

  const page = await within(claire.moderation.supervisedMail(demo.project_id), "the supervision view");
  const mail = page.mails.find((m) => m.id === sent.mail.id);
  assert.ok(mail, "the pupils' mail is in the supervision view");
  assert.equal(mail.supervised, true);
  const conversation = await within(claire.moderation.conversation(demo.project_id, mail.conversation_id), "the conversation");
  assert.deepEqual(conversation.mails.map((m) => m.id), [mail.id]);
  const refused = await lea.moderation.supervisedMail(demo.project_id).then(() => assert.fail("a pupil supervised"), (e) => e);
  assert.ok(refused instanceof ForbiddenError, `${refused}`);

  const removed = next(mats.mail, "removed", (r) => r.mail_id === mail.id, "Mats's removed push");
  const gone = await within(claire.moderation.removeMail(mail.id), "the removal");
  assert.equal(gone.removed_by, "teacher_fr");
  assert.deepEqual(await removed, { mail_id: mail.id, project_id: demo.project_id });

  // The audit log, newest first: the removal, and the earlier mute, filtered by action.
  const log = await within(claire.moderation.auditLog(demo.project_id), "the audit log");
  const actions = log.entries.map((entry) => entry.action);
  assert.ok(actions.includes("mail.remove"), actions.join(", "));
  const mutes = await within(claire.moderation.auditLog(demo.project_id, { action: "member.mute" }), "the mutes in the log");
  assert.ok(mutes.entries.length >= 1);
  assert.ok(mutes.entries.every((entry) => entry.action === "member.mute" && entry.target_id === "pupil_de"));
  assert.equal(mutes.entries[0].actor_id, "teacher_fr");
  const notAdmin = await mats.moderation.auditLog(demo.project_id).then(() => assert.fail("a pupil read the log"), (e) => e);
  assert.ok(notAdmin instanceof ForbiddenError, `${notAdmin}`);
});

test("a forum post: reported by a pupil, hidden by a teacher, and the forum's readers get it without its text", async () => {
  const thread = await within(claire.forum.createThread(demo.forum_id, { title: "Our bridges", body: "Post a photo of one." }),
    "Claire's thread");
  const post = await within(mats.forum.createPost(thread.id, { body: "Léa's bridge is the ugliest." }), "Mats's post");
  const reported = next(claire.moderation, "reportCreated", (r) => r.item.id === post.id, "the post's report");
  await within(lea.moderation.report({ kind: "post", id: post.id }, "bullying"), "Léa's report of the post");
  const report = await reported;
  assert.equal(report.item.kind, "post");
  assert.equal(report.item.text, post.body);

  const hidden = next(lea.forum, "postHidden", (p) => p.id === post.id, "Léa's postHidden");
  const answer = await within(claire.moderation.hidePost(post.id), "hiding the post");
  assert.equal(answer.hidden, true);
  const pushed = await hidden;
  assert.equal(pushed.hidden, true);
  assert.equal(pushed.body, null);
  const decided = await within(claire.moderation.decideReport(report.id, { state: "resolved", action: "hidden" }), "the decision");
  assert.equal(decided.resolution.action, "hidden");
  assert.equal(decided.resolution.by, "teacher_fr");
});
