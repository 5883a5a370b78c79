// Load generator for Twinspace's live chat (and for bench/bare_server.py, which speaks the same events).
//
//   node bench/loadgen.mjs --url http://127.0.0.1:8000 --clients clients.json \
//        --senders 10 --rate 20 --duration 20 [--out result.json]
//
// clients.json is a list of {"token": "...", "rooms": ["room id", ...]}, with "name" for the bare
// servers (sent in `auth` beside the token). Client i connects to the i-th --url in turn (give
// several, comma-separated, to spread clients over instances) over WebSocket only, with at most
// --concurrency handshakes in flight; it joins its rooms (`room:join`, awaited ack). Then the first
// --senders clients each send `chat:send` to their first room at --rate messages/s for --duration
// seconds (open loop: the schedule does not wait for acks), each with a fresh client_id and the send
// time inside the text. Every `chat:message` push is timed against that send time (one process, one
// clock). Prints one JSON object: sends, acks, expected and received deliveries, loss, deliveries/s
// and latency percentiles. Every wait has a deadline and the whole run a hard limit (--timeout),
// after which it prints what it has and exits with 3.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { io } from "socket.io-client";

const { values: opt } = parseArgs({
  options: {
    url: { type: "string" },
    clients: { type: "string" },
    senders: { type: "string", default: "1" },
    rate: { type: "string", default: "10" },
    duration: { type: "string", default: "20" },
    concurrency: { type: "string", default: "50" },
    "ack-timeout": { type: "string", default: "10" },
    settle: { type: "string", default: "1" },
    drain: { type: "string", default: "5" },
    timeout: { type: "string" },
    out: { type: "string" },
  },
});
if (!opt.url || !opt.clients) {
  console.error("usage: node loadgen.mjs --url URL[,URL...] --clients FILE [--senders N] [--rate R] [--duration S] "
                + "[--concurrency C] [--ack-timeout S] [--settle S] [--drain S] [--timeout S] [--out FILE]");
  process.exit(2);
}
const urls = opt.url.split(",").map((u) => u.trim()).filter(Boolean);
const clients = JSON.parse(readFileSync(opt.clients, "utf8"));
const SENDERS = Math.min(Number(opt.senders), clients.length);
const RATE = Number(opt.rate); // messages per second, per sender
const DURATION_S = Number(opt.duration);
const CONCURRENCY = Math.max(1, Number(opt.concurrency));
const ACK_TIMEOUT_MS = Number(opt["ack-timeout"]) * 1000;
const SETTLE_MS = Number(opt.settle) * 1000; // after the joins: let presence pushes die down
const DRAIN_MS = Number(opt.drain) * 1000; // after the last ack: time for the last pushes to arrive
const CONNECT_TIMEOUT_MS = 20000;
// Hard limit: room for connecting and joining (bounded by the per-call timeouts), sending, draining.
const HARD_LIMIT_S = Number(opt.timeout ?? (120 + clients.length * 0.1 + DURATION_S + Number(opt.drain)));
if (!(SENDERS >= 0 && RATE > 0 && DURATION_S > 0 && urls.length > 0 && Array.isArray(clients))) {
  console.error("loadgen: bad arguments");
  process.exit(2);
}

const stats = {
  clients: clients.length, urls: urls.length, connected: 0, connect_failures: 0, joins: 0, join_failures: 0,
  disconnects: 0, senders: SENDERS, rate_per_sender: RATE, duration_s: DURATION_S,
  planned_sends: 0, sent: 0, acked: 0, ack_errors: 0, ack_timeouts: 0, ack_failed: 0, first_ack_error: null,
  expected_deliveries: 0, received_deliveries: 0, lost: 0, delivered_unacked: 0, duplicates: 0, out_of_order: 0, first_out_of_order: [],
  foreign_pushes: 0, deliveries_per_s: 0, setup_s: 0, send_s: 0, send_started_at: null, send_ended_at: null,
  last_delivery_at: null,
  p50_ms: null, p95_ms: null, p99_ms: null, max_ms: null, mean_ms: null, ack_p50_ms: null, ack_p99_ms: null,
  timed_out: false,
};
let lastDeliveryMs = null; // wall clock of the last delivery: the end of the window whose server CPU is counted
const latencies = []; // ms, one per unique delivery of a message sent in this run
const ackLatencies = [];
const slowAcks = []; // [seconds after sending began, ms], the slowest acks: when a p99 comes from (a cold start, a stall)
const roomSize = new Map(); // room id -> clients that joined it
const deliveriesOf = new Map(); // client_id -> unique deliveries seen
const ackedRoom = new Map(); // client_id -> room, for sends acknowledged ok

const round = (x) => (x == null ? null : Math.round(x * 10) / 10);
function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null;
}

function finish(code) {
  let received = 0;
  for (const [clientId, room] of ackedRoom) {
    received += Math.min(deliveriesOf.get(clientId) ?? 0, roomSize.get(room) ?? 0);
  }
  let unacked = 0;
  for (const [clientId, n] of deliveriesOf) if (!ackedRoom.has(clientId)) unacked += n;
  latencies.sort((a, b) => a - b);
  ackLatencies.sort((a, b) => a - b);
  stats.received_deliveries = received;
  stats.delivered_unacked = unacked;
  stats.lost = Math.max(0, stats.expected_deliveries - received);
  stats.ack_failed = stats.ack_errors + stats.ack_timeouts + (stats.sent - stats.acked - stats.ack_errors
                                                              - stats.ack_timeouts);
  stats.deliveries_per_s = stats.send_s > 0 ? round(received / stats.send_s) : 0;
  stats.p50_ms = round(percentile(latencies, 0.5));
  stats.p95_ms = round(percentile(latencies, 0.95));
  stats.p99_ms = round(percentile(latencies, 0.99));
  stats.max_ms = round(latencies.length ? latencies[latencies.length - 1] : null);
  stats.mean_ms = round(latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null);
  stats.ack_p50_ms = round(percentile(ackLatencies, 0.5));
  stats.ack_p99_ms = round(percentile(ackLatencies, 0.99));
  stats.slowest_acks = slowAcks.sort((a, b) => b[1] - a[1]).slice(0, 5);
  stats.last_delivery_at = lastDeliveryMs == null ? null : lastDeliveryMs / 1000;
  const text = JSON.stringify(stats);
  if (opt.out) writeFileSync(opt.out, text + "\n");
  console.log(text);
  process.exit(code);
}

setTimeout(() => {
  console.error(`loadgen: hard time limit (${HARD_LIMIT_S} s) reached`);
  stats.timed_out = true;
  finish(3);
}, HARD_LIMIT_S * 1000).unref();

function onMessage(state, m) {
  const now = performance.now();
  let body;
  try { body = JSON.parse(m.text); } catch { body = null; }
  if (!body || typeof body.t !== "number" || typeof m.client_id !== "string") { stats.foreign_pushes += 1; return; }
  let seen = state.seen.get(m.room_id);
  if (!seen) { seen = { set: new Set(), max: 0 }; state.seen.set(m.room_id, seen); }
  if (seen.set.has(m.seq)) { stats.duplicates += 1; return; }
  seen.set.add(m.seq);
  if (m.seq < seen.max) {
    stats.out_of_order += 1;
    // The first few, to see whether a whole room or one connection got them late: [s into the run,
    // client, room, the seq that came late, the highest seq already there].
    if (stats.first_out_of_order.length < 5) {
      stats.first_out_of_order.push([round((now - t0) / 1000), state.index, m.room_id, m.seq, seen.max]);
    }
  } else seen.max = m.seq;
  latencies.push(now - body.t);
  deliveriesOf.set(m.client_id, (deliveriesOf.get(m.client_id) ?? 0) + 1);
  lastDeliveryMs = Date.now();
}

function connect(client, i) {
  return new Promise((resolve) => {
    const state = { socket: null, rooms: [], seen: new Map(), index: i };
    const socket = io(urls[i % urls.length], {
      auth: client.name === undefined ? { token: client.token } : { token: client.token, name: client.name }, transports: ["websocket"], reconnection: false, forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    state.socket = socket;
    let settled = false;
    socket.on("chat:message", (m) => onMessage(state, m));
    socket.on("connect", () => { settled = true; stats.connected += 1; resolve(state); });
    socket.on("connect_error", (err) => {
      if (settled) return;
      settled = true;
      stats.connect_failures += 1;
      if (stats.connect_failures <= 3) console.error(`loadgen: connect_error: ${err.message} ${JSON.stringify(err.data ?? "")}`);
      socket.close();
      resolve(null);
    });
    socket.on("disconnect", (reason) => {
      if (reason !== "io client disconnect") stats.disconnects += 1;
    });
  });
}

// Runs fn over items with at most `limit` calls in flight (a bounded, staggered start).
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i], i); }
  }));
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
const states = await pool(clients, CONCURRENCY, connect);
await pool(clients, CONCURRENCY, async (client, i) => {
  const state = states[i];
  if (!state) return;
  for (const room of client.rooms) {
    try {
      const ack = await state.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("room:join", { room_id: room });
      if (!ack?.ok) throw new Error(JSON.stringify(ack?.error ?? ack));
      state.rooms.push(room);
      roomSize.set(room, (roomSize.get(room) ?? 0) + 1);
      stats.joins += 1;
    } catch (err) {
      stats.join_failures += 1;
      if (stats.join_failures <= 3) console.error(`loadgen: room:join failed: ${err.message}`);
    }
  }
});
stats.setup_s = round((performance.now() - t0) / 1000);
if (stats.joins === 0) {
  console.error("loadgen: no client connected and joined a room");
  finish(1);
}
await sleep(SETTLE_MS);

async function send(state, room) {
  const clientId = randomUUID();
  const t = performance.now();
  stats.sent += 1;
  try {
    const ack = await state.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("chat:send", {
      room_id: room, client_id: clientId, text: JSON.stringify({ bench: 1, t: Math.round(t * 1000) / 1000 }),
    });
    if (ack?.ok) {
      stats.acked += 1;
      ackLatencies.push(performance.now() - t);
      slowAcks.push([round((t - start) / 1000), round(performance.now() - t)]);
      ackedRoom.set(clientId, room);
      stats.expected_deliveries += roomSize.get(room) ?? 0;
    } else {
      stats.ack_errors += 1;
      stats.first_ack_error ??= ack?.error ?? ack;
    }
  } catch {
    stats.ack_timeouts += 1;
  }
}

const senders = [];
for (let i = 0; i < clients.length && senders.length < SENDERS; i++) {
  if (states[i]?.rooms.length) senders.push(states[i]);
}
const perSender = Math.round(RATE * DURATION_S);
stats.planned_sends = perSender * SENDERS;
const inFlight = [];
const start = performance.now();
stats.send_started_at = Date.now() / 1000;
await Promise.all(senders.map((state) => new Promise((resolve) => {
  const interval = 1000 / RATE;
  const offset = Math.random() * interval; // senders out of step with each other
  let n = 0;
  const tick = () => {
    if (n >= perSender) { resolve(); return; }
    inFlight.push(send(state, state.rooms[0]));
    n += 1;
    setTimeout(tick, Math.max(0, start + offset + n * interval - performance.now())); // no drift; catch up if late
  };
  setTimeout(tick, offset);
})));
stats.send_s = round((performance.now() - start) / 1000);
stats.send_ended_at = Date.now() / 1000;
await Promise.all(inFlight); // each settles within ACK_TIMEOUT_MS
const drainUntil = performance.now() + DRAIN_MS;
const receivedSoFar = () => { let n = 0; for (const v of deliveriesOf.values()) n += v; return n; };
while (receivedSoFar() < stats.expected_deliveries && performance.now() < drainUntil) await sleep(100);
for (const state of states) state?.socket.disconnect();
finish(0);
