// Builds the SDK:
//   dist/index.mjs, dist/index.cjs   the library, for bundlers and Node (socket.io-client stays a dependency)
//   dist/twinspace.min.js            one file for a <script> tag: global `Twinspace`, socket.io-client inside
//   dist/types/                      type declarations (tsc --emitDeclarationOnly)
//   ../server/demo/twinspace.js      a copy of the browser file, committed so the server needs no Node
//
//   node scripts/build.mjs                      everything
//   node scripts/build.mjs --dist-only          dist/ only (npm test builds this way)
//   node scripts/build.mjs --if-stale           skip when dist/ is newer than every input
//   node scripts/build.mjs --check              fail when server/demo/twinspace.js differs from a fresh build
//
// The output depends only on the sources and the locked package versions, so
// the same checkout always builds the same bytes.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const socketIoVersion = JSON.parse(readFileSync(require.resolve("socket.io-client/package.json"), "utf8")).version;

export const DIST = join(root, "dist");
export const BROWSER_FILE = join(DIST, "twinspace.min.js");
export const DEMO_FILE = join(root, "..", "server", "demo", "twinspace.js");
const ENTRY = join(root, "src", "index.ts");
const INPUTS = [join(root, "src"), join(root, "package.json"), join(root, "package-lock.json"),
  join(root, "tsconfig.json"), fileURLToPath(import.meta.url)];

const common = {
  entryPoints: [ENTRY],
  bundle: true,
  logLevel: "warning",
  absWorkingDir: root,
};

/** The browser file's bytes. */
export async function buildBrowserFile() {
  const result = await build({
    ...common,
    format: "iife",
    globalName: "Twinspace",
    platform: "browser",
    target: "es2019",
    minify: true,
    legalComments: "eof",
    banner: { js: `/*! @twinspace/client ${pkg.version} | socket.io-client ${socketIoVersion} (MIT) */` },
    write: false,
    outfile: BROWSER_FILE,
  });
  return result.outputFiles[0].contents;
}

async function buildLibrary() {
  for (const [format, outfile] of [["esm", "index.mjs"], ["cjs", "index.cjs"]]) {
    await build({
      ...common,
      format,
      platform: "neutral",
      target: "es2020",
      external: ["socket.io-client"],
      sourcemap: true,
      outfile: join(DIST, outfile),
    });
  }
}

function buildDeclarations() {
  rmSync(join(DIST, "types"), { recursive: true, force: true });
  const tsc = require.resolve("typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "--emitDeclarationOnly", "-p", join(root, "tsconfig.json")],
    { stdio: "inherit" });
  if (run.status !== 0) throw new Error("tsc failed");
}

function newestInput(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestInput(join(path, name))));
}

function isStale() {
  const outputs = [BROWSER_FILE, join(DIST, "index.mjs"), join(DIST, "index.cjs"), join(DIST, "types", "index.d.ts")];
  if (!outputs.every(existsSync)) return true;
  const oldestOutput = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  return Math.max(...INPUTS.filter(existsSync).map(newestInput)) > oldestOutput;
}

/** Writes `bytes` to `path` unless it already holds them (keeps the mtime of an unchanged file). */
function writeIfChanged(path, bytes) {
  if (existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(bytes)) === 0) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return true;
}

async function check() {
  const fresh = await buildBrowserFile();
  const shown = relative(process.cwd(), DEMO_FILE);
  if (!existsSync(DEMO_FILE)) {
    console.error(`${shown} is missing: run \`npm run build\` in client-sdk/ and commit it.`);
    return 1;
  }
  if (Buffer.compare(readFileSync(DEMO_FILE), Buffer.from(fresh)) !== 0) {
    console.error(`${shown} differs from a fresh build of the SDK: run \`npm run build\` in client-sdk/ and commit it.`);
    return 1;
  }
  console.log(`${shown} is up to date.`);
  return 0;
}

async function main(args) {
  if (args.includes("--check")) return check();
  if (args.includes("--if-stale") && !isStale()) return 0;
  mkdirSync(DIST, { recursive: true });
  await buildLibrary();
  const browser = await buildBrowserFile();
  writeFileSync(BROWSER_FILE, browser);
  buildDeclarations();
  if (!args.includes("--dist-only") && writeIfChanged(DEMO_FILE, browser)) {
    console.log(`wrote ${relative(process.cwd(), DEMO_FILE)}`);
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
