// The SDK's own error messages: every client code in every language with the same {fields},
// the language picked like the server picks it, and clients that speak their `lang`.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { build } from "esbuild";

import { ClientCodes, ConnectionError, TimeoutError, createClient } from "../dist/index.mjs";
import { startSeededServer, within } from "./support/server.mjs";

/** An internal module of src/, compiled on the fly (it is not exported by the package). */
async function load(path) {
  const result = await build({
    entryPoints: [new URL(path, import.meta.url).pathname], bundle: true, format: "esm", platform: "neutral", write: false,
  });
  return import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].contents).toString("base64")}`);
}

const { LANGUAGES, MESSAGES, clientMessage, pickLanguage } = await load("../src/messages.ts");
const fields = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("the six languages of the server, each with every client code, none empty, with English's {fields}", () => {
  assert.deepEqual([...LANGUAGES], ["en", "fr", "de", "it", "es", "pl"]);
  assert.deepEqual(Object.keys(MESSAGES).sort(), [...LANGUAGES].sort());
  const codes = Object.values(ClientCodes).sort();
  for (const lang of LANGUAGES) {
    assert.deepEqual(Object.keys(MESSAGES[lang]).sort(), codes, `${lang} has exactly the client codes`);
    for (const code of codes) {
      const text = MESSAGES[lang][code];
      assert.ok(text.trim(), `${lang} ${code} is empty`);
      assert.deepEqual(fields(text), fields(MESSAGES.en[code]), `${lang} ${code} has other {fields} than English`);
      if (lang !== "en") assert.notEqual(text, MESSAGES.en[code], `${lang} ${code} is translated`);
    }
  }
});

test("the language of a tag, as the server picks it: its language part, else English", () => {
  assert.equal(pickLanguage("de"), "de");
  assert.equal(pickLanguage("de-AT"), "de");
  assert.equal(pickLanguage("PL-pl"), "pl");
  assert.equal(pickLanguage("it_IT"), "it");
  assert.equal(pickLanguage("es-419"), "es");
  assert.equal(pickLanguage("nl"), "en");
  assert.equal(pickLanguage("pt-BR"), "en");
  assert.equal(pickLanguage(""), "en");
  assert.equal(clientMessage(undefined, "client.timeout"), MESSAGES.en["client.timeout"]);
});

let server;

before(async () => {
  ({ server } = await startSeededServer());
});

after(async () => {
  await server?.dispose();
});

test("a client with lang de-DE: a request that gets no answer in time fails in German, the event in details", async () => {
  const client = createClient({ url: server.url, token: server.token("pupil_de", "pupil"), lang: "de-DE",
    autoConnect: false, requestTimeoutMs: 200 });
  try {
    const error = await within(client.me().then(() => assert.fail("answered"), (e) => e), "the time-out");
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.code, "client.timeout");
    assert.equal(error.message, "Der Server hat nicht rechtzeitig geantwortet. Versuch es bitte noch einmal.");
    assert.deepEqual(error.details, { request: "me:get" });
  } finally {
    client.close();
  }
});

test("a connected client with lang pl, then closed: its requests fail in Polish", async () => {
  const client = createClient({ url: server.url, token: server.token("pupil_fr", "pupil"), lang: "pl" });
  await within(client.ready(), "the client to connect");
  assert.equal((await within(client.me(), "me")).id, "pupil_fr");
  client.close();
  const error = await client.me().then(() => assert.fail("answered"), (e) => e);
  assert.ok(error instanceof ConnectionError);
  assert.equal(error.code, "client.closed");
  assert.equal(error.message, MESSAGES.pl["client.closed"]);
  assert.deepEqual(error.details, { reason: "client_closed" });
});

test("a getToken that fails: client.token_unavailable in Spanish, what it threw in details and cause", async () => {
  const client = createClient({ url: server.url, lang: "es", getToken: async () => { throw new Error("portal down"); } });
  try {
    const error = await within(new Promise((resolve) => client.on("error", resolve)), "the error");
    assert.equal(error.code, "client.token_unavailable");
    assert.equal(error.message, MESSAGES.es["client.token_unavailable"]);
    assert.deepEqual(error.details, { reason: "getToken() failed: portal down" });
    assert.equal(error.cause?.message, "portal down");
  } finally {
    client.close();
  }
});

test("without lang outside a browser, English", async () => {
  const client = createClient({ url: server.url, token: server.token("pupil_fr", "pupil"), autoConnect: false,
    requestTimeoutMs: 100 });
  try {
    const error = await client.me().then(() => assert.fail("answered"), (e) => e);
    const expected = typeof navigator === "object" ? MESSAGES[pickLanguage(navigator.language)] : MESSAGES.en;
    assert.equal(error.message, expected["client.timeout"]);
  } finally {
    client.close();
  }
});
