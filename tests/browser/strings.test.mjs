// The demo page's UI text: every key in each of the six languages with English's {fields}, the language
// switch offering each by its own name, and every key the page uses defined.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../server/demo");
const app = fs.readFileSync(path.join(DEMO, "app.js"), "utf8");
const html = fs.readFileSync(path.join(DEMO, "index.html"), "utf8");

function strings() {
  const start = app.indexOf("const STRINGS = ");
  const end = app.indexOf("const LANGS");
  assert.ok(start > 0 && end > start, "app.js keeps its UI text in one STRINGS table");
  return vm.runInNewContext(`(${app.slice(start + "const STRINGS = ".length, end).trim().replace(/;$/, "")})`);
}

const LANGUAGES = { en: "English", fr: "Français", de: "Deutsch", it: "Italiano", es: "Español", pl: "Polski" };
const fields = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("the six languages have English's keys, none empty, with the same {fields}", () => {
  const tables = strings();
  assert.deepEqual(Object.keys(tables), Object.keys(LANGUAGES));
  const { en } = tables;
  for (const [lang, table] of Object.entries(tables)) {
    assert.deepEqual(Object.keys(table).sort(), Object.keys(en).sort(), `${lang} has exactly English's keys`);
    for (const [key, text] of Object.entries(table)) {
      assert.ok(text.trim(), `${lang}.${key} is empty`);
      assert.deepEqual(fields(text), fields(en[key]), `${lang}.${key} has other {fields} than en.${key}`);
    }
  }
});

test("no key is written twice in a table (the second would silently win)", () => {
  const start = app.indexOf("const STRINGS = ");
  const body = app.slice(start, app.indexOf("const LANGS"));
  for (const lang of Object.keys(LANGUAGES)) {
    const from = body.indexOf(`\n    ${lang}: {`);
    const table = body.slice(from, body.indexOf("\n    },", from));
    const keys = [...table.matchAll(/(?:^|[\s,{])(\w+): ["`]/g)].map((m) => m[1]).filter((k) => k !== lang);
    assert.deepEqual(keys.filter((key, i) => keys.indexOf(key) !== i), [], `${lang} repeats keys`);
  }
});

test("the language switch offers the six languages by their own names", () => {
  const options = [...html.matchAll(/<option value="(\w+)" lang="(\w+)">([^<]+)<\/option>/g)]
    .map(([, value, lang, name]) => [value, lang, name]);
  assert.deepEqual(options, Object.entries(LANGUAGES).map(([lang, name]) => [lang, lang, name]));
});

test("the teachers' @handle is one word in every language", () => {
  for (const [lang, table] of Object.entries(strings())) assert.match(table.teachersHandle, /^[\p{L}]+$/u, lang);
});

test("every key the page uses is defined", () => {
  const { en } = strings();
  const used = new Set([...app.matchAll(/\bt\("(\w+)"/g)].map((m) => m[1]));
  for (const m of html.matchAll(/data-i18n(?:-placeholder|-aria-label)?="(\w+)"/g)) used.add(m[1]);
  assert.ok(used.size > 20);
  assert.deepEqual([...used].filter((key) => !(key in en)), []);
});

test("every element the browser test names has a data-testid in the page or app.js", () => {
  const test = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "demo.test.mjs"), "utf8");
  const named = new Set([...test.matchAll(/(?:getByTestId\(|byText\(\w+, )[`"]([\w-]+)/g)].map((m) => m[1]));
  const known = (id) => html.includes(`data-testid="${id}"`) || app.includes(`"data-testid": "${id}"`)
    || (id.startsWith("login-") && app.includes('"data-testid": `login-${'));
  assert.deepEqual([...named].filter((id) => !known(id)), []);
});
