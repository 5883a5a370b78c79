// A real Twinspace server in a child process, on a free loopback port, with
// its own data folder; started, stopped and started again by the tests.

import { spawn, execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { appendFileSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const PYTHON = process.env.TWINSPACE_PYTHON ?? join(REPO, ".venv", "bin", "python");
// The run's folder of server logs, scanned for tokens and secrets at the end of bin/test (tests/support/logscan.py).
export const LOG_DIR = process.env.TEST_LOG_DIR ?? join(REPO, "test-artifacts", "logs");
const START_TIMEOUT_MS = 30_000; // a cold start imports everything and migrates the database
const STOP_TIMEOUT_MS = 15_000;

export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** The environment without TWINSPACE_* settings, so the developer's own do not leak in. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("TWINSPACE_")));
}

export class TwinspaceServer {
  /** @param {string[]} args extra `twinspace serve` flags */
  constructor(args = []) {
    this.args = args;
    this.dir = mkdtempSync(join(tmpdir(), "twinspace-sdk-test-"));
    this.dataDir = join(this.dir, "data");
    this.logPath = join(LOG_DIR, `sdk-${basename(this.dir)}.log`); // kept when the folder is removed
    this.port = 0;
    this.proc = undefined;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    mkdirSync(LOG_DIR, { recursive: true });
    const log = openSync(this.logPath, "a");
    this.proc = spawn(PYTHON, ["-m", "server", "serve", "--host", "127.0.0.1", "--port", String(this.port),
      "--data-dir", this.dataDir, ...this.args], { cwd: REPO, env: cleanEnv(), stdio: ["ignore", log, log] });
    closeSync(log);
    const exited = once(this.proc, "exit");
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) {
        await exited;
        throw new Error(`the server exited with ${this.proc.exitCode}:\n${this.log()}`);
      }
      try {
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1_000) });
        if (response.status === 200) {
          // No log line may hold the signing secret (tests/support/logscan.py).
          appendFileSync(join(LOG_DIR, `sdk-${process.pid}.never`), `${JSON.stringify({ kind: "secret", value: this.secret })}\n`);
          return this;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    this.kill();
    throw new Error(`the server was not ready within ${START_TIMEOUT_MS} ms:\n${this.log()}`);
  }

  /** Stop with a signal (SIGTERM: a graceful stop) and wait for the process to end. */
  async stop(signal = "SIGTERM") {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, "exit");
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  kill() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }

  /** Kill the server and remove its folder at once (the test process is ending). */
  abandon() {
    this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stop the server and remove its data folder. */
  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  log() {
    try {
      return readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  get secret() {
    return readFileSync(join(this.dataDir, "jwt-secret"), "utf8").trim();
  }

  /** An HS256 token signed with the server's secret; `ttlSecs` may be negative for one already expired. */
  token(userId, role, { name = userId, lang = "en", ttlSecs = 1_800, issuedAt = Math.floor(Date.now() / 1000) } = {}) {
    const claims = { sub: userId, name, role, lang, iss: "twinspace", aud: "twinspace", iat: issuedAt,
      exp: issuedAt + ttlSecs };
    const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
    const signature = createHmac("sha256", this.secret).update(unsigned).digest("base64url");
    return `${unsigned}.${signature}`;
  }

  /** `twinspace seed-demo --json`: the demo project, its rooms and people. */
  async seed() {
    const { stdout } = await promisify(execFile)(PYTHON, ["-m", "server", "seed-demo", "--json",
      "--data-dir", this.dataDir, "--port", String(this.port)], { cwd: REPO, env: cleanEnv(), timeout: 30_000 });
    return JSON.parse(stdout);
  }

  /** A REST call with a token, for set-up the SDK does not offer (creating spaces). */
  async api(method, path, token, body) {
    const response = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
}

/** Start a server with the demo project seeded; it is killed if the test process ends or is interrupted. */
export async function startSeededServer(args = []) {
  const server = new TwinspaceServer(args);
  process.once("exit", () => server.abandon());
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => process.exit(130));
  }
  await server.start();
  const demo = await server.seed();
  return { server, demo };
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `check()` is truthy; fail after `timeoutMs` saying what was awaited. */
export async function waitFor(check, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Settle a promise within `timeoutMs` or fail saying what was awaited. */
export async function within(promise, what, timeoutMs = 15_000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every `event` a room or client emits, in order. */
export function record(emitter, event) {
  const seen = [];
  emitter.on(event, (data) => seen.push(data));
  return seen;
}
