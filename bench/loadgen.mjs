// Load generator: connects many Socket.IO clients, joins rooms, sends timed chat messages and
// measures every delivery. Reads a plan (JSON) from the file named by its first argument, prints
// the results as JSON. Stops by itself: every wait has a deadline.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const CONNECT_CONCURRENCY = 50; // handshakes in flight at once: enough to connect 1,000 clients in seconds
const ACK_TIMEOUT_MS = 5000;
const DRAIN_MS = 3000; // after the last send, time for the last pushes to arrive
const HARD_LIMIT_MS = (plan.duration_secs + 120) * 1000;
setTimeout(() => { console.error("loadgen: hard time limit reached"); process.exit(3); }, HARD_LIMIT_MS).unref();

const latencies = [];
const roomSize = new Map(); // room -> joined clients
const sentAt = new Map(); // client_id -> send time, for acknowledged sends
let delivered = 0;
let ackFailures = 0;
let sentAcked = 0;
let expected = 0;

function connect(client) {
  return new Promise((resolve, reject) => {
    const socket = io(client.url, { auth: { token: client.token }, transports: ["websocket"], reconnection: false,
                                    timeout: 20000 });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
    socket.on("chat:message", (m) => {
      const t = sentAt.get(m.client_id);
      if (t !== undefined) { latencies.push(performance.now() - t); delivered += 1; }
    });
  });
}

async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i], i); }
  }));
  return out;
}

const t0 = performance.now();
const sockets = await pool(plan.clients, CONNECT_CONCURRENCY, connect);
await pool(plan.clients, CONNECT_CONCURRENCY, async (client, i) => {
  for (const room of client.rooms) {
    const ack = await sockets[i].timeout(ACK_TIMEOUT_MS * 2).emitWithAck("room:join", { room_id: room });
    if (!ack.ok) throw new Error(`room:join refused: ${JSON.stringify(ack.error)}`);
    roomSize.set(room, (roomSize.get(room) ?? 0) + 1);
  }
});
const setupSecs = (performance.now() - t0) / 1000;

let seq = 0;
async function send(sender) {
  const socket = sockets[sender.client];
  const clientId = `b${sender.client}-${seq++}`;
  sentAt.set(clientId, performance.now());
  try {
    const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("chat:send",
      { room_id: sender.room, client_id: clientId, text: `load ${clientId}` });
    if (ack.ok) { sentAcked += 1; expected += roomSize.get(sender.room) ?? 0; } else { ackFailures += 1; }
  } catch { ackFailures += 1; }
}

const start = performance.now();
const pending = [];
await Promise.all(plan.senders.map((sender) => new Promise((resolve) => {
  const interval = 1000 / sender.rate;
  let n = 0;
  const total = Math.round(sender.rate * plan.duration_secs);
  const tick = () => {
    if (n >= total) { resolve(); return; }
    pending.push(send(sender));
    n += 1;
    const due = start + (n * interval);
    setTimeout(tick, Math.max(0, due - performance.now()));
  };
  setTimeout(tick, Math.random() * interval);
})));
const sendSecs = (performance.now() - start) / 1000;
await Promise.all(pending);
const drainUntil = performance.now() + DRAIN_MS;
while (delivered < expected && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
for (const s of sockets) s.disconnect();

latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
console.log(JSON.stringify({
  clients: plan.clients.length, rooms: roomSize.size, setup_secs: +setupSecs.toFixed(2),
  send_secs: +sendSecs.toFixed(2), sent_acked: sentAcked, ack_failures: ackFailures,
  expected_deliveries: expected, deliveries: delivered, lost: Math.max(0, expected - delivered),
  deliveries_per_sec: +(delivered / sendSecs).toFixed(1),
  p50_ms: pct(0.5)?.toFixed(1), p95_ms: pct(0.95)?.toFixed(1), p99_ms: pct(0.99)?.toFixed(1),
  max_ms: latencies.length ? latencies[latencies.length - 1].toFixed(1) : null,
}));
process.exit(0);
