// The README's embedding snippet, verbatim, in a portal page on another origin: a real server on a
// production configuration (--demo false, the portal's origin in --allowed-origins), a tiny portal
// server on other loopback addresses (127.0.0.2 and .3: Linux answers the whole 127/8), Debian's
// Chromium driven by playwright-core. Loopback only.
//
//   tests/browser/install.sh && (cd tests/browser && npm test)

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";

import { PYTHON, REPO, cleanEnv, freePort, launchBrowser, startServer, stopServer } from "./server.mjs";

const WAIT_MS = 15_000; // any one thing the page should do
const TEST_TIMEOUT_MS = 90_000;
const PORTAL_HOST = "127.0.0.2"; // another loopback address: another origin than the server's 127.0.0.1
const OTHER_HOST = "127.0.0.3"; // a portal the server does not list in --allowed-origins
const README_ADDRESS = "https://twinspace.example.org"; // what the README says to replace by the server's address
const SDK_VERSION = JSON.parse(fs.readFileSync(path.join(REPO, "client-sdk/package.json"), "utf8")).version;

let server; // {proc, url, dataDir, logPath}
let portal; // {server, url}
let other; // the same portal on an origin the server does not admit
let browser;
let demo; // `seed-demo --json`: the project, its rooms and people

/** The README's embedding snippet, exactly as written there. */
function readmeSnippet() {
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  const section = readme.split(/^## Embedding it in a portal$/m)[1];
  assert.ok(section, "README.md has no \"## Embedding it in a portal\" section");
  const block = section.split(/^## /m)[0].match(/^```html\n([\s\S]*?)^```$/m);
  assert.ok(block, "the README's embedding section has no ```html block");
  return block[1];
}

/** `promise`, or a failure saying what was awaited after WAIT_MS. */
async function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what()}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The portal: its page (the README's snippet, the server's address filled in) and its token endpoint. */
function portalHandler(request, response) {
  if (request.url === "/") {
    const snippet = readmeSnippet().replaceAll(README_ADDRESS, server.url);
    const page = `<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><title>Portal</title>\n`
      + `<script>const GENERAL_ROOM_ID = ${JSON.stringify(demo.rooms.general)};</script>\n</head><body>\n`
      + `${snippet}</body></html>\n`;
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page);
  } else if (request.url === "/portal/twinspace-token") {
    // What the portal's back end signs for its signed-in user; here one that `seed-demo` printed.
    response.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-store" })
      .end(demo.users.teacher_fr.token);
  } else if (request.url === "/favicon.ico") {
    response.writeHead(204).end();
  } else {
    response.writeHead(404).end();
  }
}

before(async () => {
  const portalPort = await freePort(PORTAL_HOST);
  const portalUrl = `http://${PORTAL_HOST}:${portalPort}`;
  server = await startServer(["--demo", "false", "--allowed-origins", portalUrl]);
  const { stdout } = await promisify(execFile)(PYTHON, ["-m", "server", "seed-demo", "--json",
    "--data-dir", path.join(server.dataDir, "data"), "--port", String(server.port)],
  { cwd: REPO, env: cleanEnv(), timeout: 30_000 });
  demo = JSON.parse(stdout);
  const portalServer = http.createServer(portalHandler);
  portalServer.listen(portalPort, PORTAL_HOST);
  await once(portalServer, "listening");
  portal = { server: portalServer, url: portalUrl };
  const otherServer = http.createServer(portalHandler);
  otherServer.listen(0, OTHER_HOST);
  await once(otherServer, "listening");
  other = { server: otherServer, url: `http://${OTHER_HOST}:${otherServer.address().port}` };
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  for (const { server: portalServer } of [portal, other].filter(Boolean)) {
    portalServer.closeAllConnections();
    portalServer.close();
  }
  await stopServer(server);
});

test("the README's snippet chats from a portal on another origin, the SDK compressed and cached",
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const snippet = readmeSnippet();
    assert.ok(snippet.includes(`${README_ADDRESS}/sdk/${SDK_VERSION}/twinspace.min.js`),
      `the README's snippet loads the current SDK version's address (${SDK_VERSION})`);

    const context = await browser.newContext({ locale: "fr-FR" });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    const errors = [];
    const logged = [];
    let messageLogged;
    const bonjour = new Promise((resolve) => { messageLogged = resolve; });
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("response", (answer) => { if (answer.status() >= 400) errors.push(`${answer.status()} ${answer.url()}`); });
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
      logged.push(message.text());
      if (message.text().endsWith("Bonjour !")) messageLogged(message.text());
    });
    const sdkUrl = `${server.url}/sdk/${SDK_VERSION}/twinspace.min.js`;
    const sdkResponse = page.waitForResponse(sdkUrl, { timeout: WAIT_MS });
    try {
      await page.goto(`${portal.url}/`, { timeout: WAIT_MS });
      const sdk = await sdkResponse;
      assert.equal(sdk.status(), 200);
      const headers = await sdk.allHeaders();
      assert.match(headers["content-encoding"] ?? "", /^(gzip|br)$/, "the SDK file arrives compressed");
      assert.equal(headers["cache-control"], "public, max-age=31536000, immutable");
      assert.match(headers.etag ?? "", /^"[A-Za-z0-9_-]{43}(-gzip)?"$/, "a strong ETag");
      assert.match(headers["content-type"], /^text\/javascript/);
      const sent = await sdk.request().allHeaders();
      assert.match(sent["accept-encoding"] ?? "", /gzip/);

      // The snippet joined the room, sent, and logged its own message once stored (numbered by the server).
      const line = await within(bonjour, () => `the snippet's message logged; console: ${JSON.stringify(logged)}; `
        + `errors: ${JSON.stringify(errors)}`);
      assert.equal(line, `${line.split(" ")[0]} ${demo.users.teacher_fr.name} Bonjour !`);
      assert.match(line, /^[1-9]\d* /);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

test("a portal on an origin the server does not list loads the SDK but may not connect",
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    try {
      const sdk = page.waitForResponse(`${server.url}/sdk/${SDK_VERSION}/twinspace.min.js`, { timeout: WAIT_MS });
      const handshake = page.waitForRequest((request) => request.url().startsWith(`${server.url}/socket.io/`),
        { timeout: WAIT_MS });
      await page.goto(`${other.url}/`, { timeout: WAIT_MS });
      assert.equal((await sdk).status(), 200, "the file is public");
      const request = await handshake;
      assert.equal(await request.response(), null, "the browser gets no answer to read");
      assert.equal(request.failure()?.errorText, "net::ERR_FAILED");
      // Because the server refused it: the same handshake from that origin, outside a browser.
      const refused = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`,
        { headers: { Origin: other.url }, signal: AbortSignal.timeout(5_000) });
      assert.equal(refused.status, 400);
      assert.equal(refused.headers.get("access-control-allow-origin"), null);
      await refused.arrayBuffer();
    } finally {
      await context.close();
    }
  });
