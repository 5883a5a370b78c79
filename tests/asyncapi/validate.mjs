// Parses an AsyncAPI document with the official parser (@asyncapi/parser, which validates it against
// the specification's JSON Schema and its rules) and prints what it found as one JSON object:
// {"parsed": bool, "operations": n, "channels": n, "diagnostics": [{severity, code, path, message}]}.
// Severity is Spectral's: 0 error, 1 warning, 2 information, 3 hint.
// Usage: node tests/asyncapi/validate.mjs DOCUMENT.json
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const { document, diagnostics } = await new Parser().parse(readFileSync(process.argv[2], "utf8"));
console.log(JSON.stringify({
  parsed: document !== undefined,
  operations: document?.operations().length ?? 0,
  channels: document?.channels().length ?? 0,
  diagnostics: diagnostics.map((d) => ({ severity: d.severity, code: String(d.code), path: d.path.join("/"),
                                         message: d.message })),
}));
