// `npm pack` yields the package a portal installs: packed into a temporary folder, installed into a
// scratch project (offline, from npm's cache, with the versions of this package's lock file), then used
// as a portal would: an ES module and a CommonJS file each make a client against a real server and ask
// it something, and a TypeScript file is type-checked against the package's declarations.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { startSeededServer } from "./support/server.mjs";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const TSC = require.resolve("typescript/bin/tsc");
const NPM_TIMEOUT_MS = 120_000; // pack runs the build when dist/ is stale; a cold npm cache is slow
const RUN_TIMEOUT_MS = 30_000;

let dir, project, packed, server, demo;

/** `npm` with its output, failing with it; without the variables of the `npm test` that runs this file. */
async function npm(args, cwd) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) =>
    !/^npm_(lifecycle_|package_|config_local_prefix$)/.test(key)));
  try {
    return (await run("npm", args, { cwd, env, timeout: NPM_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const hint = /ENOTCACHED/.test(error.stderr) ? "\nnpm's cache lacks a locked dependency: run "
      + "`rm -rf client-sdk/node_modules && client-sdk/install.sh` (npm ci fills the cache)" : "";
    throw new Error(`npm ${args.join(" ")} failed in ${cwd}:\n${error.stdout}\n${error.stderr}${hint}`);
  }
}

/**
 * The scratch project's lock file: the tarball, and this package's locked run-time dependencies
 * (socket.io-client and what it needs, never the dev tools), so that `npm ci --offline` installs
 * them from the cache `client-sdk/install.sh` filled, with no registry to ask.
 */
function scratchLock(spec, integrity) {
  const own = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
  const packages = {
    "": { name: "portal", version: "1.0.0", dependencies: { [PKG.name]: spec } },
    [`node_modules/${PKG.name}`]: { version: PKG.version, resolved: spec, integrity, dependencies: PKG.dependencies },
  };
  for (const [path, entry] of Object.entries(own.packages)) {
    if (path && !entry.dev) packages[path] = entry;
  }
  return { name: "portal", version: "1.0.0", lockfileVersion: 3, requires: true, packages };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "twinspace-pack-"));
  const [info] = JSON.parse(await npm(["pack", "--json", "--pack-destination", dir], ROOT));
  packed = info;
  project = join(dir, "portal");
  const spec = `file:../${info.filename}`;
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify(
    { name: "portal", version: "1.0.0", private: true, dependencies: { [PKG.name]: spec } }, null, 2));
  writeFileSync(join(project, "package-lock.json"), JSON.stringify(scratchLock(spec, info.integrity), null, 2));
  await npm(["ci", "--offline", "--no-audit", "--no-fund"], project);
  ({ server, demo } = await startSeededServer());
});

after(async () => {
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the tarball holds the builds, the declarations and the README, and nothing else", () => {
  const files = packed.files.map((file) => file.path);
  assert.equal(packed.name, PKG.name);
  assert.equal(packed.version, PKG.version);
  const targets = [PKG.main, PKG.module, PKG.types, ...Object.values(PKG.exports["."]), PKG.exports["./browser"]]
    .map((path) => path.replace(/^\.\//, ""));
  for (const target of targets) assert.ok(files.includes(target), `${target} is in the tarball`);
  assert.ok(files.includes("README.md") && files.includes("package.json"));
  const outside = files.filter((path) => !/^dist\/|^(README\.md|package\.json)$/.test(path));
  assert.deepEqual(outside, [], "no sources, tests or scripts");
  assert.ok(files.includes("dist/types/wire.d.ts"), "the generated wire types");
});

/** Runs `source` as `name` in the scratch project with node; what it printed, parsed. */
async function runInProject(name, source) {
  writeFileSync(join(project, name), source);
  const token = demo.users.teacher_fr.token;
  const { stdout } = await run(process.execPath, [name], {
    cwd: project, timeout: RUN_TIMEOUT_MS, env: { ...process.env, SERVER_URL: server.url, TOKEN: token, ROOM_ID: demo.rooms.general },
  });
  return JSON.parse(stdout);
}

// Both ask the server who they are (REST) and join a room (Socket.IO): one request of each kind.
const USE = `
const client = createClient({ url: process.env.SERVER_URL, token: process.env.TOKEN });
try {
  const me = await client.me();
  const room = await client.joinRoom(process.env.ROOM_ID);
  console.log(JSON.stringify({ me: me.id, room: room.id, error: typeof isTwinspaceError }));
} finally {
  client.close();
}
`;

test("an ES module imports it and talks to the server", async () => {
  const source = `import { createClient, isTwinspaceError } from "${PKG.name}";\n`
    + USE;
  assert.deepEqual(await runInProject("portal.mjs", source),
    { me: "teacher_fr", room: demo.rooms.general, error: "function" });
});

test("a CommonJS file requires it and talks to the server", async () => {
  const source = `const { createClient, isTwinspaceError } = require("${PKG.name}");\n`
    + `const { version } = require("${PKG.name}/package.json");\n`
    + `if (version !== ${JSON.stringify(PKG.version)}) throw new Error("version " + version);\n`
    + `require.resolve("${PKG.name}/browser");\n`
    + `(async () => {${USE}})()`
    + `.catch((error) => { console.error(error); process.exitCode = 1; });\n`;
  assert.deepEqual(await runInProject("portal.cjs", source),
    { me: "teacher_fr", room: demo.rooms.general, error: "function" });
});

const TYPED_ESM = `import { createClient, isTwinspaceError, type Message, type Room } from "${PKG.name}";

const client = createClient({ url: "https://twinspace.example.org", getToken: async () => "token" });
export async function show(roomId: string): Promise<string[]> {
  const room: Room = await client.joinRoom(roomId);
  const lines = room.recent.map((m: Message) => \`\${m.seq} \${m.author_name}: \${m.text ?? "(deleted)"}\`);
  try {
    await room.send("Bonjour !");
  } catch (error) {
    if (isTwinspaceError(error)) lines.push(error.code);
  }
  return lines;
}
`;

const TYPED_CJS = `import twinspace = require("${PKG.name}");

const client = twinspace.createClient({ url: "https://twinspace.example.org", token: "token", autoConnect: false });
const state: twinspace.ClientState = client.state;
export = state;
`;

// A mistake the declarations must catch: an address is a string.
const MISTAKE = `import { createClient } from "${PKG.name}";

createClient({ url: 8000, token: "token" });
`;

/** tsc --noEmit in the scratch project with `compilerOptions` over `files`; its exit code and output. */
async function typecheck(name, compilerOptions, files) {
  writeFileSync(join(project, name), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: "ES2022", lib: ["ES2022", "DOM"], types: [],
      skipLibCheck: false, ...compilerOptions },
    files,
  }, null, 2));
  try {
    const { stdout } = await run(process.execPath, [TSC, "-p", name], { cwd: project, timeout: RUN_TIMEOUT_MS });
    return { code: 0, output: stdout };
  } catch (error) {
    return { code: error.code, output: `${error.stdout}${error.stderr}` };
  }
}

test("TypeScript type-checks against the package's declarations (node16 and bundler resolution)", async () => {
  writeFileSync(join(project, "typed.mts"), TYPED_ESM);
  writeFileSync(join(project, "typed.cts"), TYPED_CJS);
  writeFileSync(join(project, "bundled.ts"), TYPED_ESM);
  writeFileSync(join(project, "mistake.mts"), MISTAKE);

  // Node's own resolution, ES module and CommonJS: no error but the one mistake.
  const node16 = await typecheck("tsconfig.node16.json", { module: "node16", moduleResolution: "node16" },
    ["typed.mts", "typed.cts", "mistake.mts"]);
  assert.equal(node16.code, 2, node16.output);
  assert.equal(node16.output.trim(),
    "mistake.mts(3,16): error TS2322: Type 'number' is not assignable to type 'string'.");
  // A bundler's.
  const bundler = await typecheck("tsconfig.bundler.json", { module: "ESNext", moduleResolution: "bundler" },
    ["bundled.ts"]);
  assert.deepEqual(bundler, { code: 0, output: "" });
});
