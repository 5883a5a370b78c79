// What the browser tests share: Debian's Chromium launched headless, and a real Twinspace server: started on a free port with a fresh data folder,
// its log in the run's folder of server logs (scanned for tokens, secrets and message text at the end
// of bin/test: tests/support/logscan.py), its signing secret listed for that scan; stopped with SIGTERM.

import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PYTHON = process.env.TWINSPACE_PYTHON || path.join(REPO, ".venv/bin/python");
export const ARTIFACTS = path.join(REPO, "test-artifacts");
const LOG_DIR = process.env.TEST_LOG_DIR || path.join(ARTIFACTS, "logs");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const START_TIMEOUT_MS = 30_000; // a cold start imports everything and migrates the database
const STOP_TIMEOUT_MS = 10_000;

export async function freePort(host = "127.0.0.1") {
  const probe = net.createServer();
  probe.listen(0, host);
  await once(probe, "listening");
  const { port } = probe.address();
  probe.close();
  await once(probe, "close");
  return port;
}

/** The environment without any TWINSPACE_* setting from outside. */
export function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TWINSPACE_")));
}

/** A server started with `flags` (after host, port and data folder): {proc, url, port, dataDir, logPath}. */
export async function startServer(flags) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "twinspace-browser-"));
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logPath = path.join(LOG_DIR, `browser-${path.basename(dataDir)}.log`); // kept when dataDir is removed
  const log = fs.openSync(logPath, "a");
  const port = await freePort();
  const proc = spawn(PYTHON, ["-m", "server", "serve", "--host", "127.0.0.1", "--port", String(port),
    "--data-dir", path.join(dataDir, "data"), ...flags], { cwd: REPO, env: cleanEnv(), stdio: ["ignore", log, log] });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${fs.readFileSync(logPath, "utf8")}`);
    try {
      const answer = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (answer.status === 200) {
        const secret = fs.readFileSync(path.join(dataDir, "data", "jwt-secret"), "utf8").trim();
        fs.appendFileSync(path.join(LOG_DIR, `browser-${process.pid}.never`), `${JSON.stringify({ kind: "secret", value: secret })}\n`);
        return { proc, url, port, dataDir, logPath };
      }
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  proc.kill("SIGKILL");
  throw new Error(`server not ready in ${START_TIMEOUT_MS} ms:\n${fs.readFileSync(logPath, "utf8")}`);
}

/** Stop `server` (SIGTERM, then SIGKILL) and remove its data folder; nothing when it never started. */
export async function stopServer(server) {
  if (!server) return;
  const { proc } = server;
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = once(proc, "exit");
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(server.dataDir, { recursive: true, force: true });
}

/** Debian's Chromium, headless, with the flags this machine needs. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    timeout: 30_000,
  });
}
