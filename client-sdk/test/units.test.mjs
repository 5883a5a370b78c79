// Unit tests of the pure parts: message ordering and token lifetimes.

import assert from "node:assert/strict";
import { test } from "node:test";

import { build } from "esbuild";

/** An internal module of src/, compiled on the fly (it is not exported by the package). */
async function load(path) {
  const result = await build({
    entryPoints: [new URL(path, import.meta.url).pathname], bundle: true, format: "esm", platform: "neutral", write: false,
  });
  return import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].contents).toString("base64")}`);
}

const { MessageSequence } = await load("../src/sequence.ts");
const { decodeClaims, refreshDelayMs } = await load("../src/token.ts");

const message = (seq, extra = {}) => ({ seq, id: `msg_${seq}`, text: `m${seq}`, edited_at: null, deleted: false, ...extra });
const seqs = (messages) => messages.map((m) => m.seq);

test("messages come out in seq order, once each, waiting behind gaps", () => {
  const sequence = new MessageSequence(0);
  assert.deepEqual(seqs(sequence.accept([message(1), message(2)])), [1, 2]);
  assert.deepEqual(seqs(sequence.accept([message(4)])), [], "4 waits for 3");
  assert.equal(sequence.highestKnown, 4);
  assert.deepEqual(seqs(sequence.accept([message(2), message(5), message(4)])), [], "duplicates are dropped");
  assert.deepEqual(seqs(sequence.accept([message(3)])), [3, 4, 5]);
  assert.equal(sequence.lastSeq, 5);
  assert.deepEqual(seqs(sequence.accept([message(5), message(1)])), []);
});

test("a sequence can start after a seq, as when joining with sinceSeq", () => {
  const sequence = new MessageSequence(10);
  assert.deepEqual(seqs(sequence.accept([message(9), message(10), message(12), message(11)])), [11, 12]);
});

test("an edit or deletion of a message not delivered yet is delivered with it", () => {
  const sequence = new MessageSequence(0);
  assert.equal(sequence.update(message(2, { text: "edited", edited_at: "2025-01-01T10:00:01Z" })), false);
  assert.equal(sequence.update(message(3, { text: null, deleted: true })), false);
  sequence.accept([message(3, { text: "late copy" }), message(2)]);
  const out = sequence.accept([message(1)]);
  assert.deepEqual(out.map((m) => [m.seq, m.text]), [[1, "m1"], [2, "edited"], [3, null]]);
  assert.equal(sequence.update(message(1, { text: "now" })), true, "a delivered message's edit is for the app");
});

test("skipTo stops waiting for seqs the server says do not exist", () => {
  const sequence = new MessageSequence(0);
  sequence.accept([message(4)]);
  sequence.skipTo(3);
  assert.deepEqual(seqs(sequence.accept([])), [4]);
});

function jwt(claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "HS256" })}.${encode(claims)}.signature`;
}

test("token claims are read from the JWT payload, base64url and UTF-8 included", () => {
  assert.deepEqual(decodeClaims(jwt({ exp: 2000, iat: 1000, name: "Léa ✓" })), { exp: 2000, iat: 1000 });
  assert.deepEqual(decodeClaims("not a token"), {});
  assert.deepEqual(decodeClaims("a.%%%.c"), {});
});

test("tokens are refreshed shortly before they expire", () => {
  const now = 1_700_000_000_000;
  const iat = now / 1000;
  assert.equal(refreshDelayMs(jwt({ iat, exp: iat + 3600 }), now), 3_540_000, "an hour: a minute before");
  assert.equal(refreshDelayMs(jwt({ iat, exp: iat + 3 }), now), 2_000, "3 s: a second before");
  assert.equal(refreshDelayMs(jwt({ iat, exp: iat + 60 }), now), 48_000, "a minute: a fifth before");
  assert.equal(refreshDelayMs(jwt({ exp: iat + 100 }), now), 80_000, "without iat, from the local clock");
  assert.equal(refreshDelayMs(jwt({ exp: iat - 100 }), now), 1_000, "already expired: soon, never in a loop");
  assert.equal(refreshDelayMs(jwt({ sub: "x" }), now), undefined, "no exp: never");
  // iat and exp measure the lifetime on the issuer's clock: a local clock an hour
  // ahead does not make a fresh token look expired.
  assert.equal(refreshDelayMs(jwt({ iat, exp: iat + 600 }), now + 3_600_000), 540_000);
});
