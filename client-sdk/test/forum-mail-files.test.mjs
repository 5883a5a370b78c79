// Forum and mail round trips between two clients, and a file uploaded from
// a Uint8Array, attached to a message and downloaded.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";

import { createClient } from "../dist/index.mjs";
import { record, startSeededServer, waitFor, within } from "./support/server.mjs";

let server, demo, teacher, pupil;

before(async () => {
  ({ server, demo } = await startSeededServer());
  teacher = createClient({ url: server.url, token: server.token("teacher_fr", "teacher", { name: "Claire Martin" }) });
  pupil = createClient({ url: server.url, token: server.token("pupil_de", "pupil", { name: "Mats" }) });
  await within(Promise.all([teacher.ready(), pupil.ready()]), "both clients to connect");
});

after(async () => {
  teacher?.close();
  pupil?.close();
  await server?.dispose();
});

test("projects and spaces as the user sees them", async () => {
  const me = await pupil.me();
  assert.deepEqual([me.id, me.role], ["pupil_de", "pupil"]);
  const projects = await pupil.listProjects();
  assert.deepEqual(projects.map((p) => [p.project.id, p.role]), [[demo.project_id, "pupil"]]);
  const project = await pupil.getProject(demo.project_id);
  assert.equal(project.project.status, "validated");
  const spaces = await pupil.listSpaces(demo.project_id);
  assert.ok(spaces.some((s) => s.id === demo.rooms.general));
  assert.ok(!spaces.some((s) => s.id === demo.rooms.staff), "pupils do not see the staff room");
  assert.equal((await pupil.getSpace(demo.forum_id)).kind, "forum");
  assert.deepEqual((await pupil.forum.listForums(demo.project_id)).map((s) => s.id), [demo.forum_id]);
  const members = await teacher.listMembers(demo.project_id);
  assert.ok(members.some((m) => m.user_id === "pupil_de"));
});

test("forum: a thread and a reply, with pushes to the other member", async () => {
  const created = record(pupil.forum, "threadCreated");
  const posted = record(teacher.forum, "postCreated");
  const edited = record(teacher.forum, "postEdited");

  const thread = await teacher.forum.createThread(demo.forum_id, {
    title: "Nos rivières", body: "Le **Rhône** et la *Saône* se rejoignent à Lyon.",
  });
  assert.equal(thread.author_id, "teacher_fr");
  assert.match(thread.body_html, /<strong>Rhône<\/strong>/);
  await waitFor(() => created.some((t) => t.id === thread.id), "the pupil to be told of the thread");

  const page = await pupil.forum.listThreads(demo.forum_id);
  const summary = page.threads.find((s) => s.thread.id === thread.id);
  assert.ok(summary);
  assert.equal(page.next_cursor, null);

  const post = await pupil.forum.createPost(thread.id, { body: "Und in Köln der Rhein." });
  assert.equal(post.seq, 1);
  await waitFor(() => posted.some((p) => p.id === post.id), "the teacher to be told of the reply");
  await pupil.forum.editPost(post.id, "Und in Köln fließt der Rhein.");
  await waitFor(() => edited.some((p) => p.id === post.id), "the teacher to be told of the edit");

  const posts = await teacher.forum.listPosts(thread.id);
  assert.equal(posts.thread.id, thread.id);
  assert.deepEqual(posts.posts.map((p) => [p.seq, p.author_id, p.body]), [[1, "pupil_de", "Und in Köln fließt der Rhein."]]);
  const read = await teacher.forum.markThreadRead(thread.id, 1);
  assert.equal(read.last_read_seq, 1);
  assert.equal(read.unread, 0);
});

test("mail: sent, received with a push, read, archived and deleted", async () => {
  const received = record(pupil.mail, "received");
  const unread = record(pupil.mail, "unread");
  const before = await pupil.mail.unreadCount();

  const sent = await teacher.mail.send({
    projectId: demo.project_id, to: ["pupil_de"], subject: "Ton exposé", body: "Bravo pour ton exposé sur le Rhin !",
  });
  assert.equal(sent.folder, "sent");
  await waitFor(() => received.length === 1, "the mail to arrive");
  const copy = received[0];
  assert.deepEqual([copy.owner_id, copy.folder, copy.read, copy.mail.id], ["pupil_de", "inbox", false, sent.mail.id]);
  await waitFor(() => unread.includes(before + 1), "the unread count push");
  assert.equal(await pupil.mail.unreadCount(), before + 1);

  const inbox = await pupil.mail.list({ folder: "inbox", projectId: demo.project_id });
  assert.equal(inbox.copies[0].mail.id, sent.mail.id);
  assert.equal((await pupil.mail.read(sent.mail.id)).read, true);
  assert.equal(await pupil.mail.unreadCount(), before);

  const reply = await pupil.mail.send({ replyTo: sent.mail.id, body: "Danke!" });
  assert.equal(reply.mail.subject, "Re: Ton exposé");
  assert.equal(reply.mail.conversation_id, sent.mail.conversation_id);
  assert.deepEqual(reply.mail.to.map((c) => c.user_id), ["teacher_fr"]);

  assert.equal((await pupil.mail.move(sent.mail.id, "archived")).folder, "archived");
  assert.equal((await pupil.mail.get(sent.mail.id)).folder, "archived");
  assert.deepEqual(await pupil.mail.delete(sent.mail.id), { mail_id: sent.mail.id, deleted: true });
  assert.equal((await teacher.mail.get(sent.mail.id)).folder, "sent", "the sender keeps their copy");
});

test("uploadFile: a Uint8Array with progress, attached to a message, downloadable by the other member", async () => {
  const text = "Le Rhône à Lyon : 15 km de quais.\nDer Rhein in Köln: 20 km.\n";
  const bytes = new TextEncoder().encode(text);
  const progress = [];
  const uploaded = await teacher.uploadFile(demo.project_id, bytes, {
    name: "rivières.txt", onProgress: (p) => progress.push(p),
  });
  assert.equal(uploaded.name, "rivières.txt");
  assert.equal(uploaded.size, bytes.byteLength);
  assert.equal(uploaded.content_type, "text/plain");
  assert.equal(uploaded.sha256, createHash("sha256").update(bytes).digest("hex"));
  assert.deepEqual(progress[0], { loaded: 0, total: bytes.byteLength });
  assert.deepEqual(progress.at(-1), { loaded: bytes.byteLength, total: bytes.byteLength });

  const own = await teacher.downloadFile(uploaded.id);
  assert.match(own.type, /^text\/plain/);
  assert.equal(await own.text(), text);

  // Not readable by the pupil until it is attached where they can read it.
  await assert.rejects(pupil.downloadFile(uploaded.id), { code: "file.not_found", status: 404 });
  const room = await within(teacher.joinRoom(demo.rooms.general), "the teacher joining");
  const message = await room.send("Les chiffres :", { attachments: [uploaded.id] });
  assert.deepEqual(message.attachments.map((a) => a.id), [uploaded.id]);
  const got = await pupil.downloadFile(uploaded.id);
  assert.deepEqual(new Uint8Array(await got.arrayBuffer()), bytes);
  assert.equal((await pupil.getFile(uploaded.id)).attached_to.kind, "message");

  const blob = new Blob([bytes.subarray(0, 10)], { type: "text/plain" });
  const second = await pupil.uploadFile(demo.project_id, blob, { name: "extrait.txt" });
  assert.equal(second.size, 10);
  assert.equal((await pupil.deleteFile(second.id)).id, second.id);
  await assert.rejects(pupil.getFile(second.id), { code: "file.not_found" });
});
