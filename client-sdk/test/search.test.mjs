// Search through the SDK against a real server: a pupil finds what a teacher
// wrote where the pupil may read, never what is in the staff room or someone
// else's mail; filters, pages and the pager; refusals.

import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, test } from "node:test";

import { createClient, isTwinspaceError } from "../dist/index.mjs";
import { startSeededServer, waitFor, within } from "./support/server.mjs";

let server, demo, teacher, pupil, otherPupil;

/** A made-up word found nowhere else (letters only: one word whatever the tokenizer). */
function uniqueWord(stem) {
  const letters = "bcdfghjklmnpqrstvwxz";
  let tail = "";
  for (let i = 0; i < 8; i += 1) tail += letters[randomInt(letters.length)];
  return `${stem}${tail}`;
}

/** Search until `count` results come back (the index may follow writes a moment later), then return the page. */
async function found(client, q, options, count, what) {
  let page;
  await waitFor(async () => {
    page = await client.search(demo.project_id, q, options);
    return page.results.length >= count;
  }, what, 10_000);
  return page;
}

before(async () => {
  ({ server, demo } = await startSeededServer());
  teacher = createClient({ url: server.url, token: server.token("teacher_fr", "teacher", { name: "Claire Martin" }) });
  pupil = createClient({ url: server.url, token: server.token("pupil_de", "pupil", { name: "Mats" }) });
  otherPupil = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { name: "Léa" }) });
  await within(Promise.all([teacher.ready(), pupil.ready(), otherPupil.ready()]), "the clients to connect");
});

after(async () => {
  teacher?.close();
  pupil?.close();
  otherPupil?.close();
  await server?.dispose();
});

test("a pupil finds a teacher's message in the general room, accents aside, with an escaped snippet", async () => {
  const word = uniqueWord("rhein");
  const general = await within(teacher.joinRoom(demo.rooms.general), "the teacher joining the general room");
  const message = await general.send(`In Köln fließt der ${word} <b>breit</b>`);

  const page = await found(pupil, `koln ${word}`, {}, 1, "the message to be found");
  assert.equal(page.results.length, 1);
  assert.equal(page.next_cursor, null);
  const [result] = page.results;
  assert.equal(result.kind, "message");
  assert.equal(result.id, message.id);
  assert.equal(result.project_id, demo.project_id);
  assert.equal(result.space_id, demo.rooms.general);
  assert.equal(result.seq, message.seq);
  assert.equal(result.author_id, "teacher_fr");
  assert.equal(result.author_name, "Claire Martin");
  assert.equal(result.created_at, message.created_at);
  assert.match(result.snippet_html, /<mark>Köln<\/mark>/);
  assert.match(result.snippet_html, new RegExp(`<mark>${word}</mark>`));
  assert.match(result.snippet_html, /&lt;b&gt;breit&lt;\/b&gt;/, "the message's markup comes back as text");
  assert.doesNotMatch(result.snippet_html.replace(/<\/?mark>/g, ""), /</, "no markup but the marks");

  // The same with the accent, and by the start of the last word.
  const accented = await pupil.search(demo.project_id, `Köln ${word.slice(0, 7)}`);
  assert.deepEqual(accented.results.map((r) => r.id), [message.id]);
});

test("nothing from the staff room, nor another person's mail, is found or counted", async () => {
  const word = uniqueWord("geheim");
  const staff = await within(teacher.joinRoom(demo.rooms.staff), "the teacher joining the staff room");
  const planted = await staff.send(`Notes du conseil : ${word}`);
  const mailWord = uniqueWord("brief");
  await teacher.mail.send({ projectId: demo.project_id, to: ["pupil_de"], subject: `Exposé ${mailWord}`,
    body: `Bravo pour ${mailWord} !` });

  // The teacher finds both (so the index holds them), the pupils find only what is theirs.
  const staffSide = await found(teacher, word, {}, 1, "the teacher to find the staff message");
  assert.deepEqual(staffSide.results.map((r) => [r.kind, r.id, r.space_id]), [["message", planted.id, demo.rooms.staff]]);
  const mail = await found(pupil, mailWord, { kinds: ["mail"] }, 1, "the pupil to find their mail");
  assert.equal(mail.results[0].kind, "mail");
  assert.equal(mail.results[0].space_id, null);
  assert.match(mail.results[0].title, new RegExp(mailWord));

  assert.deepEqual(await pupil.search(demo.project_id, word), { results: [], next_cursor: null });
  assert.deepEqual(await otherPupil.search(demo.project_id, word), { results: [], next_cursor: null });
  assert.deepEqual(await otherPupil.search(demo.project_id, mailWord), { results: [], next_cursor: null });
});

test("filters: kinds, space, author, dates", async () => {
  const word = uniqueWord("fluss");
  const general = await within(pupil.joinRoom(demo.rooms.general), "the pupil joining the general room");
  const said = await general.send(`Mein Fluss heißt ${word}`);
  const thread = await teacher.forum.createThread(demo.forum_id, { title: `Le ${word}`, body: "Parlons-en." });

  const both = await found(pupil, word, {}, 2, "the message and the thread to be found");
  assert.deepEqual(new Set(both.results.map((r) => r.kind)), new Set(["message", "thread"]));
  const threadResult = both.results.find((r) => r.kind === "thread");
  assert.deepEqual([threadResult.id, threadResult.space_id, threadResult.thread_id], [thread.id, demo.forum_id, thread.id]);
  assert.match(threadResult.title, new RegExp(word));

  const ids = async (options) => (await pupil.search(demo.project_id, word, options)).results.map((r) => r.id);
  assert.deepEqual(await ids({ kinds: ["message"] }), [said.id]);
  assert.deepEqual(await ids({ kinds: ["thread", "post"] }), [thread.id]);
  assert.deepEqual(await ids({ spaceId: demo.forum_id }), [thread.id]);
  assert.deepEqual(await ids({ authorId: "pupil_de" }), [said.id]);
  assert.deepEqual(await ids({ since: new Date(Date.now() + 3_600_000) }), []);
  assert.deepEqual(await ids({ until: "2000-01-01T00:00:00Z" }), []);
  assert.equal((await ids({ since: new Date(Date.now() - 3_600_000), order: "best" })).length, 2);
});

test("pages: next_cursor, then the pager until the last page", async () => {
  const word = uniqueWord("seite");
  const general = await within(teacher.joinRoom(demo.rooms.general), "the teacher joining the general room");
  const sent = [];
  for (let i = 0; i < 5; i += 1) sent.push(await general.send(`${word} ${i}`));
  await found(teacher, word, { limit: 50 }, 5, "the five messages to be found");

  // Newest first (ties in the same millisecond by id).
  const newest = [...sent].sort((a, b) => (b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id)))
    .map((m) => m.id);
  const first = await teacher.search(demo.project_id, word, { limit: 2 });
  assert.equal(first.results.length, 2);
  assert.equal(typeof first.next_cursor, "string");
  assert.deepEqual(first.results.map((r) => r.id), newest.slice(0, 2));
  const second = await teacher.search(demo.project_id, word, { limit: 2, cursor: first.next_cursor });
  assert.deepEqual(second.results.map((r) => r.id), newest.slice(2, 4));

  const pager = teacher.searchPager(demo.project_id, word, { limit: 2 });
  assert.equal(pager.done, false);
  // Asked at once, the pages still come one after the other.
  const pages = await Promise.all([pager.next(), pager.next(), pager.next(), pager.next()]);
  assert.deepEqual(pages.map((p) => p?.results.length ?? null), [2, 2, 1, null]);
  assert.equal(pager.done, true);
  assert.equal(await pager.next(), null);
  assert.deepEqual(pager.results.map((r) => r.id), newest);

  const iterated = [];
  for await (const page of teacher.searchPager(demo.project_id, word, { limit: 3 })) iterated.push(page.results.length);
  assert.deepEqual(iterated, [3, 2]);
});

test("refusals: a project one is not in, an empty query, a page too long", async () => {
  const outsider = createClient({ url: server.url, token: server.token("pupil_elsewhere", "pupil", { name: "Ana" }) });
  try {
    await within(outsider.ready(), "the outsider to connect");
    await assert.rejects(outsider.search(demo.project_id, "rhein"),
      (error) => isTwinspaceError(error) && ["project.not_found", "permission.denied"].includes(error.code));
  } finally {
    outsider.close();
  }
  await assert.rejects(pupil.search(demo.project_id, ""), { code: "request.invalid" });
  await assert.rejects(pupil.search(demo.project_id, "rhein", { limit: 51 }), { code: "request.invalid" });
  const french = createClient({ url: server.url, token: server.token("pupil_fr", "pupil", { name: "Léa", lang: "fr" }) });
  try {
    await assert.rejects(french.search(demo.project_id, "x", { kinds: [] }),
      { code: "request.invalid", message: "Requête invalide : vérifiez « kinds »." });
  } finally {
    french.close();
  }
});
