// The /demo portal page in a real browser: a real server (--demo true), Debian's Chromium driven by
// playwright-core, teachers and pupils in browser contexts of their own. Loopback traffic only.
//
//   tests/browser/install.sh && (cd tests/browser && npm test)
//
// Leaves screenshots in test-artifacts/ (demo.png, moderation.png, muted.png at the repo root) and prints their paths.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, REPO, launchBrowser, startServer, stopServer } from "./server.mjs";

const WAIT_MS = 15_000; // any one thing the page should show
const TEST_TIMEOUT_MS = 90_000;

let server; // {proc, url, dataDir, logPath}
let browser;

before(async () => {
  server = await startServer(["--demo", "true"]);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
});

/** A person's window: a browser context of its own, signed in on /demo as `key`. */
async function personAs(key, errors) {
  const context = await browser.newContext({ locale: "en-GB", acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(`${key}: ${error.message}`));
  page.on("console", (message) => { if (message.type() === "error") errors.push(`${key} console: ${message.text()}`); });
  await page.goto(`${server.url}/demo`, { timeout: WAIT_MS });
  await page.getByTestId(`login-${key}`).click();
  await page.getByTestId("room").first().waitFor();
  await page.getByTestId("project-title").filter({ hasText: /\S/ }).waitFor();
  // Signing in ends by focusing the page's main part: typing before then would lose keys.
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === "main", null, { timeout: WAIT_MS });
  return { context, page };
}

const byText = (page, testId, text) => page.getByTestId(testId).filter({ hasText: text });

test("a teacher and a pupil chat, share a file, and the page speaks French", { timeout: TEST_TIMEOUT_MS }, async () => {
  const errors = [];
  const sdk = await fetch(`${server.url}/demo/twinspace.js`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(sdk.status, 200, "server/demo/twinspace.js is missing: build client-sdk first");

  const teacher = await personAs("teacher_fr", errors);
  const pupil = await personAs("pupil_de", errors);
  const t = teacher.page;
  const p = pupil.page;
  try {
    await byText(t, "current-user", "Claire Martin").waitFor();

    // Presence: each sees the other online in the general room.
    await t.locator('[data-testid="presence-user"][data-user-id="pupil_de"]').waitFor();
    await p.locator('[data-testid="presence-user"][data-user-id="teacher_fr"]').waitFor();

    // The teacher writes; the pupil sees it live.
    const hello = "Bonjour from Lyon! Our river is the Rhône.";
    await t.getByTestId("message-input").fill(hello);
    await t.getByTestId("send").click();
    await byText(t, "message-text", hello).waitFor();
    await byText(p, "message-text", hello).waitFor();

    // The pupil starts typing: the teacher sees the indicator; then the pupil replies to the message.
    await p.getByTestId("message-input").pressSequentially("Hallo", { delay: 20 });
    await byText(t, "typing", "Mats").waitFor();
    await byText(p, "message", hello).getByTestId("reply-button").click();
    await p.getByTestId("replying").waitFor();
    const reply = "Hallo from Köln! Ours is the Rhine.";
    await p.getByTestId("message-input").fill(reply);
    await p.getByTestId("message-input").press("Enter");
    const replyOnTeacher = byText(t, "message", reply);
    await replyOnTeacher.waitFor();
    await replyOnTeacher.getByTestId("message-quote").filter({ hasText: "Claire Martin" }).waitFor();

    // The teacher attaches a file: the progress bar reaches 100 %, then the message carries it.
    const content = Buffer.from("Notes on the Rhône and the Rhine.\n".repeat(12_000)); // about 400 KB of text
    await t.getByTestId("file-input").setInputFiles({ name: "river-notes.txt", mimeType: "text/plain", buffer: content });
    await t.waitForFunction(() => document.querySelector('[data-testid="upload-progress"]').value === 100, null, { timeout: WAIT_MS });
    assert.equal(await t.getByTestId("upload-percent").textContent(), "100 %");
    await byText(t, "pending-file", "river-notes.txt").waitFor();
    await t.getByTestId("message-input").fill("Our notes on the two rivers");
    await t.getByTestId("send").click();
    await byText(t, "attachment-link", "river-notes.txt").waitFor();

    // The pupil sees the attachment and downloads it: the same bytes.
    const link = byText(p, "attachment-link", "river-notes.txt");
    await link.waitFor();
    const [download] = await Promise.all([p.waitForEvent("download", { timeout: WAIT_MS }), link.click()]);
    assert.equal(download.suggestedFilename(), "river-notes.txt");
    const saved = await download.path();
    assert.ok(fs.readFileSync(saved).equals(content), "the downloaded file differs from the uploaded one");

    // Forum: the teacher starts a thread; it shows up for the pupil, who answers in it.
    await t.getByTestId("tab-forum").click();
    await t.locator("#new-thread summary").click();
    const title = "Water levels in spring";
    await t.getByTestId("thread-title").fill(title);
    await t.getByTestId("thread-body").fill("Measure the river **every Monday**.");
    await t.getByTestId("thread-submit").click();
    await byText(t, "thread-heading", title).waitFor();
    await p.getByTestId("tab-forum").click();
    await byText(p, "thread-item", title).click();
    await p.locator('[data-testid="thread-text"] strong', { hasText: "every Monday" }).waitFor();
    await p.getByTestId("post-body").fill("We measured 2.1 m today.");
    await p.getByTestId("post-submit").click();
    await byText(t, "post", "We measured 2.1 m today.").waitFor();

    // Mail: the pupil writes to the teacher; it arrives in the teacher's inbox.
    await p.getByTestId("tab-mail").click();
    await p.getByTestId("compose-open").click();
    await p.getByTestId("mail-to").selectOption("teacher_fr");
    const subject = "Question about the project";
    await p.getByTestId("mail-subject").fill(subject);
    await p.getByTestId("mail-body").fill("Can we add photos of the bridges?");
    await p.getByTestId("mail-send").click();
    await byText(t, "mail-unread", "1").waitFor();
    await t.getByTestId("tab-mail").click();
    await byText(t, "mail-item", subject).click();
    await byText(t, "mail-body-shown", "photos of the bridges").waitFor();

    // Back to the chat for the picture.
    await p.getByTestId("tab-chat").click();
    await byText(p, "attachment-link", "river-notes.txt").waitFor();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, "demo.png");
    await p.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);

    // The language switch: French text everywhere, and back.
    await t.getByTestId("tab-chat").click();
    await t.getByTestId("lang-switch").selectOption("fr");
    await byText(t, "tab-chat", "Discussion").waitFor();
    assert.equal((await t.getByTestId("send").textContent()).trim(), "Envoyer");
    assert.equal(await t.getAttribute("html", "lang"), "fr");
    assert.equal(await t.getByTestId("message-input").getAttribute("placeholder"), "Écrire un message…");
    await byText(t, "reply-button", "Répondre").first().waitFor();
    // German, Italian, Spanish, Polish likewise.
    for (const [lang, send, placeholder] of [["de", "Senden", "Schreib eine Nachricht…"],
      ["it", "Invia", "Scrivi un messaggio…"], ["es", "Enviar", "Escribe un mensaje…"], ["pl", "Wyślij", "Napisz wiadomość…"]]) {
      await t.getByTestId("lang-switch").selectOption(lang);
      await byText(t, "send", send).waitFor();
      assert.equal(await t.getAttribute("html", "lang"), lang);
      assert.equal(await t.getByTestId("message-input").getAttribute("placeholder"), placeholder);
    }
    await t.getByTestId("lang-switch").selectOption("en");
    await byText(t, "tab-chat", "Chat").waitFor();

    assert.deepEqual(errors, [], "the page reported errors");
  } catch (error) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await t.screenshot({ path: path.join(ARTIFACTS, "demo-failure-teacher.png"), fullPage: true }).catch(() => {});
    await p.screenshot({ path: path.join(ARTIFACTS, "demo-failure-pupil.png"), fullPage: true }).catch(() => {});
    console.log(`page errors: ${JSON.stringify(errors, null, 2)}`);
    console.log(`server log (${server.logPath}):\n${fs.readFileSync(server.logPath, "utf8").slice(-4_000)}`);
    throw error;
  } finally {
    await teacher.context.close();
    await pupil.context.close();
  }
});

/** Save both windows' screenshots and the server's log tail after a failure. */
async function failed(name, windows, errors) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const [who, page] of Object.entries(windows)) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failure-${who}.png`), fullPage: true }).catch(() => {});
  }
  console.log(`page errors: ${JSON.stringify(errors, null, 2)}`);
  console.log(`server log (${server.logPath}):\n${fs.readFileSync(server.logPath, "utf8").slice(-4_000)}`);
}

test("a teacher asks a poll, a pupil votes, and the teacher's window shows the result live", { timeout: TEST_TIMEOUT_MS }, async () => {
  const errors = [];
  const teacher = await personAs("teacher_fr", errors);
  const pupil = await personAs("pupil_fr", errors);
  const t = teacher.page;
  const p = pupil.page;
  try {
    // Pupils have no poll form; the teacher's is under the composer.
    assert.equal(await p.getByTestId("new-poll").isHidden(), true);
    await t.locator("#new-poll summary").click();
    const question = "Which river is the longest?";
    await t.getByTestId("poll-question").fill(question);
    await t.getByTestId("poll-options").fill("The Rhine\nThe Rhône\nThe Danube");
    await t.getByTestId("poll-submit").click();
    const teacherPoll = byText(t, "poll", question);
    const pupilPoll = byText(p, "poll", question);
    await teacherPoll.waitFor();
    await pupilPoll.waitFor();
    assert.equal(await teacherPoll.getByTestId("poll-summary").getAttribute("data-voters"), "0");

    // The pupil ticks the Danube; while they think, the teacher votes for the Rhine. The pupil's window
    // shows that vote live, and redrawing the poll keeps the pupil's tick.
    await pupilPoll.getByTestId("poll-choice").nth(2).check();
    await teacherPoll.getByTestId("poll-choice").nth(0).check();
    await teacherPoll.getByTestId("poll-vote").click();
    await teacherPoll.locator('[data-testid="poll-option"][data-index="0"].chosen').waitFor();
    await pupilPoll.locator('[data-testid="poll-option"][data-index="0"][data-votes="1"]').waitFor();
    assert.equal(await pupilPoll.getByTestId("poll-choice").nth(2).isChecked(), true, "a live result keeps the pupil's tick");

    // The pupil votes; the teacher's window counts it without a reload.
    await pupilPoll.getByTestId("poll-vote").click();
    await pupilPoll.locator('[data-testid="poll-option"][data-index="2"].chosen').waitFor();
    await teacherPoll.locator('[data-testid="poll-option"][data-index="2"][data-votes="1"]').waitFor();
    await teacherPoll.locator('[data-testid="poll-summary"][data-voters="2"]').waitFor();
    assert.equal(await teacherPoll.locator('[data-testid="poll-option"][data-index="1"]').getAttribute("data-votes"), "0");

    // Not anonymous: the teacher sees who voted; then ends the vote, and the pupil can vote no more.
    await teacherPoll.getByTestId("poll-see-voters").click();
    await teacherPoll.locator('[data-testid="poll-option"][data-index="2"] [data-testid="poll-voters"]', { hasText: "Léa" }).waitFor();
    await teacherPoll.getByTestId("poll-close").click();
    await byText(p, "poll-summary", "Voting has ended.").waitFor();
    assert.equal(await pupilPoll.getByTestId("poll-vote").count(), 0, "a closed poll offers no vote");
    await byText(t, "poll-summary", "Voting has ended.").waitFor();
    assert.deepEqual(errors, [], "the page reported errors");
  } catch (error) {
    await failed("poll", { teacher: t, pupil: p }, errors);
    throw error;
  } finally {
    await teacher.context.close();
    await pupil.context.close();
  }
});

test("seen-by counts, reactions, @mentions and pinned messages between a teacher and a pupil", { timeout: TEST_TIMEOUT_MS }, async () => {
  const errors = [];
  const teacher = await personAs("teacher_fr", errors);
  const pupil = await personAs("pupil_fr", errors);
  const t = teacher.page;
  const p = pupil.page;
  try {
    // The pupil types @ and picks the teachers from the list; the teacher's window highlights the message.
    await p.getByTestId("message-input").click();
    await p.getByTestId("message-input").pressSequentially("Question for @tea", { delay: 10 });
    await p.locator('[data-testid="mention-option"][data-user-id="teachers"]').click();
    await p.getByTestId("message-input").pressSequentially("how long is the Rhône?", { delay: 5 });
    await p.getByTestId("send").click();
    const asked = "Question for @teachers how long is the Rhône?";
    await byText(p, "message-text", asked).waitFor();
    const onTeacher = t.locator('[data-testid="message"][data-mentioned="true"]', { hasText: asked });
    await onTeacher.waitFor();

    // The teacher's window has read it: the pupil sees "Seen by 1"; the teacher answers, the pupil reads it.
    await byText(p, "message", asked).locator('[data-testid="seen-count"][data-count="1"]').waitFor();
    await t.getByTestId("message-input").fill("812 km, Léa!");
    await t.getByTestId("send").click();
    await byText(p, "message-text", "812 km, Léa!").waitFor();
    const answerOnTeacher = byText(t, "message", "812 km, Léa!");
    await answerOnTeacher.locator('[data-testid="seen-count"][data-count="1"]').waitFor();
    await answerOnTeacher.getByTestId("seen-count").click();
    await answerOnTeacher.getByTestId("seen-who").filter({ hasText: "Léa" }).waitFor();

    // The pupil reacts 👍 to the answer: her button is pressed, the teacher sees the count.
    const answerOnPupil = byText(p, "message", "812 km, Léa!");
    await answerOnPupil.locator("[data-testid=reaction-picker] summary").click();
    await answerOnPupil.locator('[data-testid="reaction-choice"][data-emoji="👍"]').click();
    await answerOnPupil.locator('[data-testid="reaction"][data-emoji="👍"][aria-pressed="true"]').waitFor();
    await answerOnTeacher.locator('[data-testid="reaction"][data-emoji="👍"][aria-pressed="false"]', { hasText: "1" }).waitFor();

    // The teacher pins the answer: it shows at the top of both windows, and is unpinned from there.
    await answerOnTeacher.getByTestId("pin-button").click();
    await byText(p, "pinned-message", "812 km").waitFor();
    assert.equal(await p.getByTestId("unpin-button").count(), 0, "pupils do not unpin");
    await byText(t, "pinned-message", "812 km").getByTestId("unpin-button").click();
    await p.getByTestId("pins").waitFor({ state: "hidden" });
    assert.deepEqual(errors, [], "the page reported errors");
  } catch (error) {
    await failed("classroom", { teacher: t, pupil: p }, errors);
    throw error;
  } finally {
    await teacher.context.close();
    await pupil.context.close();
  }
});

test("a pupil reports a message, the teacher sees it live and mutes its author, whose send is then refused",
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const errors = [];
    const teacher = await personAs("teacher_fr", errors);
    const reporter = await personAs("pupil_fr", errors);
    const author = await personAs("pupil_de", errors);
    const t = teacher.page;
    const r = reporter.page;
    const a = author.page;
    try {
      // The teacher keeps the moderation view open: an empty queue of open reports.
      await t.getByTestId("tab-moderation").click();
      await t.getByTestId("panel-moderation").waitFor();
      // Pupils have no moderation view.
      assert.equal(await r.getByTestId("tab-moderation").isVisible(), false);

      // Mats writes something hurtful; Léa reports it.
      const hurtful = "Nobody wants you in our group, Léa.";
      await a.getByTestId("message-input").fill(hurtful);
      await a.getByTestId("send").click();
      const onReporter = byText(r, "message", hurtful);
      await onReporter.waitFor();
      await onReporter.getByTestId("report-button").click();
      await r.getByTestId("report-dialog").waitFor();
      await r.locator('[data-testid="report-reason"][value="bullying"]').check();
      await r.getByTestId("report-note").fill("He says this every day.");
      await r.getByTestId("report-submit").click();
      await r.locator('[data-testid="notice"][data-kind="report-received"]').waitFor();
      assert.equal(await r.getByTestId("report-dialog").isVisible(), false);
      // Mats never gets a report button on his own message, nor the reporter's name.
      assert.equal(await byText(a, "message", hurtful).getByTestId("report-button").count(), 0);

      // The teacher's queue shows it at once, with its badge; the report shows the message as it was, and who reported it.
      await byText(t, "open-reports", "1").waitFor();
      const item = byText(t, "report-item", "Bullying");
      await item.waitFor();
      await item.click();
      await byText(t, "report-item-text", hurtful).waitFor();
      await byText(t, "report-reporter", "Léa").waitFor();
      await byText(t, "report-note-shown", "He says this every day.").waitFor();

      // The teacher mutes Mats for 15 minutes from the report.
      await t.getByTestId("mute-minutes").fill("15");
      await t.getByTestId("mute-button").click();
      await t.locator('[data-testid="notice"][data-kind="muted"]').waitFor();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, "moderation.png");
      await t.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);

      // Mats's window says he is muted, and until when; his send is refused and stays unsent.
      const muted = a.locator('[data-testid="write-state"][data-state="muted"]');
      await muted.waitFor();
      assert.match(await muted.textContent(), /muted until/);
      const attempt = "Let me explain!";
      await a.getByTestId("message-input").fill(attempt);
      await a.getByTestId("send").click();
      await byText(a, "error", "chat.muted").waitFor();
      assert.equal(await a.getByTestId("message-input").inputValue(), attempt);
      assert.equal(await byText(a, "message-text", attempt).count(), 0);
      assert.equal(await byText(t, "message-text", attempt).count(), 0);
      const mutedShot = path.join(ARTIFACTS, "muted.png");
      await a.screenshot({ path: mutedShot, fullPage: true });
      console.log(`screenshot: ${mutedShot}`);

      // In French too.
      await a.getByTestId("lang-switch").selectOption("fr");
      await byText(a, "write-state", "muet").waitFor();

      // The teacher resolves the report with a note: it leaves the open queue, and Léa is told it was handled.
      await t.getByTestId("decision-note").fill("Mats is muted; I will talk to him.");
      await t.getByTestId("resolve-button").click();
      await t.locator('[data-testid="report-state"][data-state="resolved"]').waitFor();
      await t.getByTestId("open-reports").waitFor({ state: "hidden" });
      await r.locator('[data-testid="notice"][data-kind="report-handled"]').waitFor();

      assert.deepEqual(errors, [], "the pages reported errors");
    } catch (error) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      for (const [name, page] of [["teacher", t], ["reporter", r], ["author", a]]) {
        await page.screenshot({ path: path.join(ARTIFACTS, `moderation-failure-${name}.png`), fullPage: true }).catch(() => {});
      }
      console.log(`page errors: ${JSON.stringify(errors, null, 2)}`);
      console.log(`server log (${server.logPath}):\n${fs.readFileSync(server.logPath, "utf8").slice(-4_000)}`);
      throw error;
    } finally {
      for (const person of [teacher, reporter, author]) await person.context.close();
    }
  });

/** A demo session fetched by the test itself: a token and the demo project's rooms, for set-up through the API. */
async function sessionOf(key) {
  const answer = await fetch(`${server.url}/demo/api/session`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: key }),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(answer.status, 200, `a demo session for ${key}`);
  return answer.json();
}

/** Chat messages sent through the REST API (under each person's rate limit: 20 in 10 s). */
async function sendMany(session, roomId, texts) {
  for (const [i, text] of texts.entries()) {
    const answer = await fetch(`${server.url}/api/v1/spaces/${encodeURIComponent(roomId)}/messages`, {
      method: "POST",
      headers: { Authorization: `Bearer ${session.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ client_id: `filler-${session.user.id}-${i}`, text }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(answer.status, 201, `message ${i} of ${session.user.id}: ${await answer.text()}`);
  }
}

test("a pupil searches a word a teacher wrote and opens it in its room; the staff room's word is not found",
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const errors = [];
    const found = "loutrazibul"; // made-up words: found nowhere else
    const secret = "plumbixatorque";
    const teacher = await personAs("teacher_fr", errors);
    const t = teacher.page;
    let pupil;
    try {
      const { rooms } = await sessionOf("teacher_fr");
      // In the general room, then in the staff room (teachers only).
      await t.getByTestId("message-input").fill(`Les loutres de la Loire s'appellent des ${found} <b>!</b>`);
      await t.getByTestId("send").click();
      await byText(t, "message-text", found).waitFor();
      await t.locator(`[data-testid="room"][data-room-id="${rooms.staff}"]`).click();
      await t.getByTestId("message-input").fill(`Réunion des profs : ${secret}`);
      await t.getByTestId("send").click();
      await byText(t, "message-text", secret).waitFor();

      // Then 52 messages, so that the found one is no longer among the latest a room shows on joining.
      await Promise.all(["teacher_de", "pupil_fr", "teacher_fr"].map(async (key, n) => {
        const session = await sessionOf(key);
        await sendMany(session, rooms.general, Array.from({ length: n === 2 ? 14 : 19 }, (_, i) => `Rivière ${i}, ${key}`));
      }));

      // The teacher finds the staff room's word: it is in the index, for those who may read it.
      await t.getByTestId("search-input").fill(secret);
      await t.getByTestId("search-submit").click();
      await t.locator('[data-testid="search-result"][data-kind="message"]', { hasText: secret }).waitFor();

      pupil = await personAs("pupil_fr", errors);
      const p = pupil.page;
      assert.equal(await byText(p, "message-text", found).count(), 0, "not among the latest messages");

      // The pupil searches the staff room's word: nothing, not even a count.
      await p.getByTestId("search-input").fill(secret);
      await p.getByTestId("search-submit").click();
      await byText(p, "search-title", "Nothing found").waitFor();
      assert.equal(await p.getByTestId("search-result").count(), 0);
      assert.equal(await p.getByTestId("search-more").isHidden(), true);

      // A word in many messages, without its accent: ten results at a time, and more on asking.
      await p.getByTestId("search-input").fill("riviere");
      await p.getByTestId("search-submit").click();
      await byText(p, "search-title", "What we found").waitFor();
      await p.locator('[data-testid="search-result"]').nth(9).waitFor();
      assert.equal(await p.getByTestId("search-result").count(), 10);
      await p.getByTestId("search-more").click();
      await p.locator('[data-testid="search-result"]').nth(19).waitFor();
      assert.equal(await p.getByTestId("search-result").count(), 20);
      await p.locator('[data-testid="search-snippet"] mark', { hasText: "Rivière" }).first().waitFor();

      // The pupil searches the teacher's word, in capitals: one message, its word marked.
      await p.getByTestId("search-input").fill(found.toUpperCase());
      await p.getByTestId("search-submit").click();
      const result = p.locator('[data-testid="search-result"][data-kind="message"]');
      await result.waitFor();
      assert.equal(await p.getByTestId("search-result").count(), 1);
      assert.equal(await result.getByTestId("search-kind").textContent(), "Chat message");
      await result.getByTestId("search-where").filter({ hasText: "in the room" }).waitFor();
      await result.filter({ hasText: "Claire Martin" }).waitFor();
      assert.equal(await result.locator('[data-testid="search-snippet"] mark').textContent(), found);
      assert.equal(await result.locator('[data-testid="search-snippet"] b').count(), 0, "the message's markup is text");
      await result.getByTestId("search-snippet").filter({ hasText: "<b>!</b>" }).waitFor();

      // Opening it shows the general room, scrolled back to the message.
      await result.getByTestId("search-open").click();
      await p.locator(`[data-testid="room"][data-room-id="${rooms.general}"][aria-current="true"]`).waitFor();
      const shown = p.locator('[data-testid="message"][data-found="true"]', { hasText: found });
      await shown.waitFor();
      assert.ok(await shown.isVisible());
      await shown.evaluate((node) => new Promise((resolve) => requestAnimationFrame(resolve)));
      const [box, list] = [await shown.boundingBox(), await p.getByTestId("messages").boundingBox()];
      assert.ok(box && list && box.y + box.height > list.y && box.y < list.y + list.height, "scrolled into view");

      // The same page in French.
      await p.getByTestId("lang-switch").selectOption("fr");
      await result.getByTestId("search-kind").filter({ hasText: "Message du chat" }).waitFor();
      await result.getByTestId("search-where").filter({ hasText: "dans le salon" }).waitFor();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, "search.png");
      await p.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
      assert.deepEqual(errors, [], "the pages reported errors");
    } catch (error) {
      await failed("search", pupil ? { teacher: t, pupil: pupil.page } : { teacher: t }, errors);
      throw error;
    } finally {
      await teacher.context.close();
      if (pupil) await pupil.context.close();
    }
  });

test("an admin exports a pupil's data and erases a pupil after a two-step confirmation; a pupil exports their own",
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const errors = [];
    const admin = await personAs("teacher_fr", errors);
    const pupil = await personAs("pupil_fr", errors);
    const erased = await personAs("pupil_de", []); // his page loses its access halfway: its errors are expected
    const t = admin.page;
    const p = pupil.page;
    const isZip = async (download) => {
      assert.match(download.suggestedFilename(), /\.zip$/);
      const bytes = fs.readFileSync(await download.path());
      assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], "the download is a ZIP");
    };
    try {
      // The pupil exports their own data from their menu.
      const [own] = await Promise.all([p.waitForEvent("download", { timeout: WAIT_MS }), p.getByTestId("export-mine").click()]);
      await isZip(own);

      // The admin sets the retention periods, and exports Mats's data from the members list.
      await t.getByTestId("tab-moderation").click();
      await t.locator("#retention summary").click();
      await t.getByTestId("retention-chat").fill("90");
      await t.getByTestId("retention-files").fill("");
      await t.getByTestId("retention-save").click();
      await t.locator('[data-testid="notice"][data-kind="retention-saved"]').waitFor();
      await t.locator("#members summary").click();
      const mats = t.locator('[data-testid="member"][data-user-id="pupil_de"]');
      const [export_] = await Promise.all([t.waitForEvent("download", { timeout: WAIT_MS }),
        mats.getByTestId("member-export").click()]);
      await isZip(export_);

      await p.locator('[data-testid="presence-user"][data-user-id="pupil_de"]').waitFor();

      // Erasing Mats: the dialog shows what will go; nothing happens until the admin ticks the box and confirms.
      await mats.getByTestId("member-erase").click();
      await t.getByTestId("erase-dialog").waitFor();
      await byText(t, "erase-title", "Mats").waitFor();
      assert.ok(await t.getByTestId("erase-summary").textContent());
      assert.equal(await t.getByTestId("erase-confirm").isDisabled(), true);
      await t.getByTestId("erase-understood").check();
      await t.getByTestId("erase-confirm").click();
      await t.locator('[data-testid="notice"][data-kind="erased"]').waitFor();
      await mats.waitFor({ state: "detached" });
      // The pupil's page loses him from its presence list.
      await p.locator('[data-testid="presence-user"][data-user-id="pupil_de"]').waitFor({ state: "detached" });

      assert.deepEqual(errors, [], "the pages reported errors");
    } catch (error) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      for (const [name, page] of [["admin", t], ["pupil", p]]) {
        await page.screenshot({ path: path.join(ARTIFACTS, `privacy-failure-${name}.png`), fullPage: true }).catch(() => {});
      }
      console.log(`page errors: ${JSON.stringify(errors, null, 2)}`);
      console.log(`server log (${server.logPath}):\n${fs.readFileSync(server.logPath, "utf8").slice(-4_000)}`);
      throw error;
    } finally {
      for (const person of [admin, pupil, erased]) await person.context.close();
    }
  });
