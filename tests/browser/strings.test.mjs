// The demo page's UI text: every key in English and French, and every key the page uses defined.

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

test("English and French have the same keys, none empty", () => {
  const { en, fr } = strings();
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  for (const [lang, table] of Object.entries({ en, fr })) {
    for (const [key, text] of Object.entries(table)) assert.ok(text.trim(), `${lang}.${key} is empty`);
    for (const [key, text] of Object.entries(table)) {
      const fields = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(fields(text), fields(en[key]), `${lang}.${key} has other {fields} than en.${key}`);
    }
  }
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
