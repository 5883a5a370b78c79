"""Runs the chat benchmark against Twinspace, the bare python-socketio server and the Node socket.io server.

For each run it starts a fresh server pinned to CPU 0 (``taskset -c 0``): Twinspace with a new
temporary data folder (SQLite, every message stored) and the chat rate limit and each
connection's request budget out of the way (10,000 messages per 1 s window; 10,000 requests a
second, 1,000 at once), or ``bench/bare_server.py``. For Twinspace it creates a validated project, the scenario's pupils and
rooms through the REST API and mints their tokens (HS256, the secret the server wrote to its data
folder). It writes the clients file, runs ``bench/loadgen.mjs`` pinned to CPU 1, samples the
server's CPU and RSS from /proc while it runs, and prints one Markdown table row per run.

    .venv/bin/python bench/run.py --quick                      # smoke run of every scenario, ~1 min
    .venv/bin/python bench/run.py --scenario all --json out.json
    .venv/bin/python bench/run.py --scenario C --redis-url local   # or redis://HOST:PORT/DB

Scenarios: A = 200 clients in 10 rooms, 10 senders at 20 msg/s for 20 s; B = 1,000 clients in one
room, one sender at 10 msg/s for 20 s (A and B run ``--rounds`` times per server, the servers taking
turns, and their ratios to Node are of the medians); saturate = A with the per-sender rate raised step by step
(10 s steps) until a delivery is lost, duplicated or reordered, an ack fails or p99 exceeds 250 ms,
on every server;
C = A over two Twinspace instances sharing a Redis fan-out (``--fanout-url``), clients alternating
between the two ports; it runs only with ``--redis-url`` (``local`` starts a throwaway
redis-server on loopback, pinned to CPU 0 with the servers). D = four Twinspace instances on one
Redis, 180 clients in 9 rooms on the first three only (each instance hosts its own three rooms,
the fourth hosts nobody), 9 senders at 20 msg/s, run once per ``--fanout-pubsub`` mode (broadcast:
one channel every instance hears; rooms: each instance subscribes to the rooms it hosts): it
reports each instance's CPU, and the CPU the fourth spends against a hosting one's; also only with
``--redis-url``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import jwt

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
SERVER_CPU, LOADGEN_CPU = "0", "1"  # two cores: servers (and Redis) on one, the load generator on the other
READY_TIMEOUT_SECS = 30
STOP_TIMEOUT_SECS = 15
SAMPLE_SECS = 0.2
# The chat rate limit out of the way: the server refuses more than 10,000 messages per window, so
# the window is one second (10,000 msg/s per person, far above any rate below). So is each
# connection's request budget (by default 50 a second, a burst of 100, 16 at once: a person's,
# which a sender at 60 msg/s exceeds): the benchmark measures the server, not its guard.
RATE_LIMIT = ("--chat-rate-messages", "10000", "--chat-rate-window-secs", "1",
              "--connection-requests-per-sec", "10000", "--connection-requests-burst", "100000",
              "--connection-requests-in-flight", "1000")
SATURATION_P99_MS = 250.0
SATURATION_RATES = (20, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400, 500)  # msg/s per sender; bounded
SATURATION_REFINE_STEPS = 2  # halvings between the last rate that passed and the first that failed
SATURATION_STEP_SECS = 10.0
# A and B run this many times per server, the servers taking turns (each round starting with the next),
# and their ratios to Node are of the medians: one run's figures swing with the host by more than the
# differences measured (docs/performance.md).
ROUNDS, ROUNDS_OF = 3, ("A", "B")


@dataclass(frozen=True)
class Scenario:
    name: str
    clients: int
    rooms: int
    senders: int
    rate: float  # msg/s per sender
    duration: float
    instances: int = 1
    idle: int = 0  # more connections, each of a person of its own, that join nothing and only stay connected


A = Scenario("A", 200, 10, 10, 20, 20)
B = Scenario("B", 1000, 1, 1, 10, 20)
C = Scenario("C", 200, 10, 10, 20, 20, instances=2)
# 10,000 idle authenticated connections on one instance, and a small room chatting beside them.
I = Scenario("I", 10, 1, 1, 10, 20, idle=10_000)
D = Scenario("D", 180, 9, 9, 20, 20, instances=4)
D_HOSTING = 3  # D's clients connect to the first three instances only; the fourth hosts nobody
D_MODES = ("broadcast", "rooms")  # --fanout-pubsub values D runs with, in one run


# ---- servers -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(url: str, proc: subprocess.Popen[bytes], log: Path | None) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}:\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.args} not ready within {READY_TIMEOUT_SECS} s:\n{tail(log)}")


def tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(STOP_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_SECS)


@dataclass
class Running:
    urls: list[str]
    pids: list[int]  # the server processes whose CPU and RSS are reported
    secret: str = ""
    extra_pids: tuple[int, ...] = ()  # measured apart (Redis)


GC_PROBE: dict[str, Any] = {"stats": False}  # set from --gc-stats


def server_env(workdir: Path) -> dict[str, str]:
    """The servers' environment: no TWINSPACE_* settings from outside; the GC probe when asked for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINSPACE_")}
    if GC_PROBE["stats"]:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH / "gcprobe"), env.get("PYTHONPATH")) if p)
    if GC_PROBE["stats"]:
        env["BENCH_GC_LOG"] = str(workdir / "gc")
    return env


def gc_pauses(workdir: Path, pids: list[int], start: float | None, end: float | None) -> dict[str, Any] | None:
    """Full (generation 2) collections of the servers while sending, from the probe's logs."""
    if not GC_PROBE["stats"] or start is None or end is None:
        return None
    pauses = []
    for pid in pids:
        log = workdir / f"gc.{pid}"
        for line in log.read_text().splitlines() if log.exists() else []:
            at, generation, ms, _ = line.split()
            if generation == "2" and start <= float(at) <= end:
                pauses.append(float(ms))
    return {"full_collections": len(pauses), "max_ms": round(max(pauses, default=0.0), 1),
            "total_ms": round(sum(pauses), 1)}


@contextlib.contextmanager
def twinspace(workdir: Path, instances: int, fanout_url: str | None, *flags: str) -> Iterator[Running]:
    data = workdir / "data"
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    extra = [*(["--fanout-url", fanout_url] if fanout_url else []), *flags]
    try:
        for _ in range(instances):  # one after the other: the first writes the shared secret
            port = free_port()
            log = workdir / f"twinspace-{port}.log"
            with open(log, "ab") as out:
                procs.append(subprocess.Popen(
                    ["taskset", "-c", SERVER_CPU, PYTHON, "-m", "server", "serve", "--host", "127.0.0.1",
                     "--port", str(port), "--data-dir", str(data), *RATE_LIMIT, "--log-level", "warning", *extra],
                    cwd=ROOT, env=server_env(workdir), stdout=out, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
            wait_until(urls[-1] + "/readyz", procs[-1], log)
        yield Running(urls, [p.pid for p in procs], (data / "jwt-secret").read_text().strip())
    finally:
        stop(procs)


@contextlib.contextmanager
def bare(workdir: Path, stack: str = "uvicorn") -> Iterator[Running]:
    port = free_port()
    log = workdir / f"bare-{port}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, PYTHON, str(BENCH / "bare_server.py"), str(port), stack],
                                cwd=ROOT, env=server_env(workdir), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", proc, log)
        yield Running([f"http://127.0.0.1:{port}"], [proc.pid])
    finally:
        stop([proc])


@contextlib.contextmanager
def node(workdir: Path) -> Iterator[Running]:
    """``bench/node_server.mjs``: the official socket.io server of the same shape as bare_server.py."""
    port = free_port()
    log = workdir / f"node-{port}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, "node", str(BENCH / "node_server.mjs"), str(port)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", proc, log)
        yield Running([f"http://127.0.0.1:{port}"], [proc.pid])
    finally:
        stop([proc])


@contextlib.contextmanager
def local_redis(workdir: Path) -> Iterator[tuple[str, int]]:
    """A throwaway redis-server on loopback (no persistence), pinned to the servers' CPU."""
    binary = shutil.which("redis-server")
    if binary is None:  # the test suite's helper installs it from Debian's packages
        sys.path.insert(0, str(ROOT))
        from tests.support.redis import ensure_installed
        binary = ensure_installed()
    port = free_port()
    log = workdir / "redis.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, binary, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECS
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{tail(log)}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0", proc.pid
    finally:
        stop([proc])


# ---- the scenario's people ----------------------------------------------------------------------

def token(secret: str, sub: str, role: str, name: str, **extra: str) -> str:
    now = int(time.time())
    claims = {"sub": sub, "name": name, "role": role, "iss": "twinspace", "aud": "twinspace", "iat": now,
              "exp": now + 2 * 3600, **extra}
    return jwt.encode(claims, secret, algorithm="HS256")


def populate(url: str, secret: str, scenario: Scenario,
             room_of: Callable[[int], int] | None = None) -> list[dict[str, Any]]:
    """A validated project with the scenario's pupils and rooms; returns the clients (token, rooms).

    Client *i* is in room ``room_of(i)`` (by default ``i`` modulo the number of rooms)."""
    admin = token(secret, "bench_teacher_fr", "teacher", "Teacher FR", school="École A", country="FR")
    support = token(secret, "bench_support", "support", "Support")
    with httpx.Client(base_url=url + "/api/v1", timeout=30) as http:
        def call(method: str, path: str, who: str, body: Any = None) -> Any:
            r = http.request(method, path, json=body, headers={"Authorization": f"Bearer {who}"})
            if r.status_code >= 300:
                raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:500]}")
            return r.json()

        project = call("POST", "/projects", admin, {
            "title": "Benchmark", "subject": "Load", "description": "Chat under load", "age_min": 10,
            "age_max": 12, "languages": ["en", "de"],
            "partners": [{"user_id": "bench_teacher_de", "display_name": "Teacher DE", "school": "Schule B",
                          "country": "DE"}]})
        pid = project["id"]
        call("POST", f"/projects/{pid}/validate", support)
        rooms = [call("POST", f"/projects/{pid}/spaces", admin, {"name": f"Room {i}", "visibility": "members"})["id"]
                 for i in range(scenario.rooms)]
        clients = []
        for i in range(scenario.clients):
            member = call("POST", f"/projects/{pid}/members", admin,
                          {"role": "pupil", "display_name": f"Pupil {i}"})
            clients.append({"token": token(secret, member["user_id"], "pupil", f"Pupil {i}"),
                            "rooms": [rooms[room_of(i) if room_of else i % len(rooms)]]})
        # Idle connections: signed-in people of their own (the per-person connection limit is not
        # what is measured) who join nothing.
        clients += [{"token": token(secret, f"bench_idle_{i}", "pupil", f"Idle {i}"), "rooms": []}
                    for i in range(scenario.idle)]
    return clients


def bare_clients(scenario: Scenario) -> list[dict[str, Any]]:
    """Clients of the bare servers: ids as long as Twinspace's, and names as its pupils', so that their
    pushes are Twinspace's to the byte (bench/bare_server.py)."""
    rooms = [f"spc_{i:020x}" for i in range(scenario.rooms)]
    return ([{"token": f"pup_{i:020x}", "name": f"Pupil {i}", "rooms": [rooms[i % len(rooms)]]}
             for i in range(scenario.clients)]
            + [{"token": f"pup_{scenario.clients + i:020x}", "name": f"Idle {i}", "rooms": []}
               for i in range(scenario.idle)])


# ---- measuring ------------------------------------------------------------------------------------

def cpu_secs(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def window_pct(samples: list[tuple[float, float]], start: float | None, end: float | None) -> float | None:
    """CPU % between two wall-clock times, from (time, cumulative CPU seconds) samples."""
    if start is None or end is None:
        return None
    inside = [s for s in samples if start <= s[0] <= end]
    if len(inside) < 2 or inside[-1][0] - inside[0][0] <= 0:
        return None
    return round(100 * (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]), 1)


def cpu_between(samples: list[tuple[float, float]], start: float | None, end: float | None) -> float | None:
    """CPU seconds spent between two wall-clock times, from (time, cumulative CPU seconds) samples
    taken every SAMPLE_SECS: the sample at or before ``start`` to the first at or after ``end``."""
    if start is None or end is None or not samples:
        return None
    before = [s for s in samples if s[0] <= start] or samples[:1]
    after = [s for s in samples if s[0] >= end] or samples[-1:]
    return max(0.0, after[0][1] - before[-1][1])


def run_load(running: Running, clients: list[dict[str, Any]], scenario: Scenario, workdir: Path,
             urls: list[str] | None = None) -> dict[str, Any]:
    """One load run; the clients connect to ``urls`` in turn (default: every instance)."""
    clients_file = workdir / "clients.json"
    clients_file.write_text(json.dumps(clients))
    out_file = workdir / "result.json"
    cmd = ["taskset", "-c", LOADGEN_CPU, "node", str(BENCH / "loadgen.mjs"), "--url", ",".join(urls or running.urls),
           "--clients", str(clients_file), "--senders", str(scenario.senders), "--rate", str(scenario.rate),
           "--duration", str(scenario.duration), "--out", str(out_file)]
    limit = 120 + len(clients) * 0.1 + scenario.duration + 5  # loadgen's own hard limit
    server: list[tuple[float, float]] = []
    each: dict[int, list[tuple[float, float]]] = {p: [] for p in running.pids}
    extra: list[tuple[float, float]] = []
    loadgen: list[tuple[float, float]] = []
    peak_rss = 0.0
    base_rss = sum(rss_mib(p) for p in running.pids)  # before any client connects
    with open(workdir / "loadgen.log", "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + limit + 30
        while proc.poll() is None and time.monotonic() < deadline:
            now = time.time()
            for pid, samples in each.items():
                samples.append((now, cpu_secs(pid)))
            server.append((now, sum(samples[-1][1] for samples in each.values())))
            extra.append((now, sum(cpu_secs(p) for p in running.extra_pids)))
            loadgen.append((now, cpu_secs(proc.pid)))
            peak_rss = max(peak_rss, sum(rss_mib(p) for p in running.pids))
            time.sleep(SAMPLE_SECS)
        if proc.poll() is None:
            proc.kill()
        proc.wait(STOP_TIMEOUT_SECS)
    if not out_file.exists():
        raise RuntimeError(f"loadgen failed ({proc.returncode}):\n{tail(workdir / 'loadgen.log')}")
    result: dict[str, Any] = json.loads(out_file.read_text())
    if proc.returncode != 0:
        result["loadgen_exit"] = proc.returncode
    start, end = result.get("send_started_at"), result.get("send_ended_at")
    result["server_cpu_pct"] = window_pct(server, start, end)
    # The server's CPU from the first send to the last delivery, over the deliveries made: what one
    # more recipient costs, everything included (the message's own path, acks, background tasks).
    spent = cpu_between(server, start, result.get("last_delivery_at"))
    received = result.get("received_deliveries") or 0
    result["server_cpu_us_per_delivery"] = round(1e6 * spent / received, 1) if spent is not None and received else None
    result["instance_cpu_pct"] = [window_pct(each[p], start, end) for p in running.pids]
    result["server_rss_mib"] = round(peak_rss, 1)
    result["server_rss_base_mib"] = round(base_rss, 1)
    if scenario.idle:
        result["rss_per_connection_kib"] = round((peak_rss - base_rss) * 1024 / len(clients), 1)
    result["loadgen_cpu_pct"] = window_pct(loadgen, start, end)
    if running.extra_pids:
        result["redis_cpu_pct"] = window_pct(extra, start, end)
    gc_stats = gc_pauses(workdir, running.pids, start, end)
    if gc_stats is not None:
        result["server_gc"] = gc_stats
    return result


def measure(kind: str, scenario: Scenario, redis_url: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="twinspace-bench-") as tmp:
        workdir = Path(tmp)
        try:
            if kind.startswith("bare") or kind == "node":
                stack = kind.partition("@")[2] or "uvicorn"
                with (bare(workdir, stack) if kind.startswith("bare") else node(workdir)) as running:
                    result = run_load(running, bare_clients(scenario), scenario, workdir)
            else:
                with contextlib.ExitStack() as stack:
                    fanout, redis_pid = None, None
                    if scenario.instances > 1:
                        assert redis_url, "more than one instance needs --redis-url"
                        fanout = redis_url
                        if redis_url == "local":
                            fanout, redis_pid = stack.enter_context(local_redis(workdir))
                    running = stack.enter_context(twinspace(workdir, scenario.instances, fanout))
                    if redis_pid:
                        running.extra_pids = (redis_pid,)
                    clients = populate(running.urls[0], running.secret, scenario)
                    result = run_load(running, clients, scenario, workdir)
        except Exception:
            for log in sorted(workdir.glob("*.log")):
                print(f"--- {log.name}\n{tail(log)}", file=sys.stderr)
            raise
    label = kind if scenario.instances == 1 else f"{kind} x{scenario.instances} + Redis"
    return {"server": label, "scenario": scenario.name, **result}


KINDS = ("twinspace", "bare", "node")
BARE_STACKS = ("uvicorn", "uvicorn-websockets", "uvicorn-wsproto", "granian")  # bare@STACK (bench/bare_server.py)


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each server's rounds of a scenario: CPU per delivery and p99 (each on its own)."""
    def median(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return round(statistics.median(values), 1) if values else None

    return {"server_cpu_us_per_delivery": median("server_cpu_us_per_delivery"), "p99_ms": median("p99_ms")}


def ratios_to_node(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Each server's CPU per delivery and p99 as a ratio to node's in the same run of a scenario."""
    base = runs.get("node")
    if base is None:
        return {}

    def ratio(r: dict[str, Any], key: str) -> float | None:
        ours, theirs = r.get(key), base.get(key)
        return round(ours / theirs, 2) if ours is not None and theirs else None

    return {kind: {"cpu_per_delivery": ratio(r, "server_cpu_us_per_delivery"), "p99": ratio(r, "p99_ms")}
            for kind, r in runs.items() if kind != "node"}


def measure_instances(scenario: Scenario, redis_url: str, mode: str) -> dict[str, Any]:
    """D: ``scenario.instances`` instances with ``--fanout-pubsub mode``, clients on the first ``D_HOSTING``.

    Client *i* connects to instance ``i % D_HOSTING`` (the load generator's turn) and is in a room of
    that instance's own: room ``i % D_HOSTING + D_HOSTING * (i // D_HOSTING % per_instance)``, so
    instance *k* hosts rooms *k*, *k* + 3, *k* + 6 and no one else's; the first ``senders`` clients
    send to every room.
    """
    per_instance = scenario.rooms // D_HOSTING
    with tempfile.TemporaryDirectory(prefix="twinspace-bench-") as tmp:
        workdir = Path(tmp)
        try:
            with contextlib.ExitStack() as stack:
                fanout, redis_pid = redis_url, None
                if redis_url == "local":
                    fanout, redis_pid = stack.enter_context(local_redis(workdir))
                running = stack.enter_context(twinspace(workdir, scenario.instances, fanout, "--fanout-pubsub", mode))
                if redis_pid:
                    running.extra_pids = (redis_pid,)
                clients = populate(running.urls[0], running.secret, scenario,
                                   lambda i: i % D_HOSTING + D_HOSTING * (i // D_HOSTING % per_instance))
                result = run_load(running, clients, scenario, workdir, urls=running.urls[:D_HOSTING])
        except Exception:
            for log in sorted(workdir.glob("*.log")):
                print(f"--- {log.name}\n{tail(log)}", file=sys.stderr)
            raise
    cpu = result["instance_cpu_pct"]
    hosting = [c for c in cpu[:D_HOSTING] if c is not None]
    idle = cpu[D_HOSTING] if len(cpu) > D_HOSTING else None
    result["hosting_cpu_pct"] = round(sum(hosting) / len(hosting), 1) if hosting else None
    result["idle_cpu_pct"] = idle
    result["idle_vs_hosting"] = (round(idle / result["hosting_cpu_pct"], 3)
                                 if idle is not None and result["hosting_cpu_pct"] else None)
    return {"server": f"twinspace x{scenario.instances} + Redis, {mode}", "scenario": scenario.name,
            "fanout_pubsub": mode, **result}


def instances_row(r: dict[str, Any]) -> str:
    ratio = r["idle_vs_hosting"]
    cells = [r["scenario"], r["fanout_pubsub"], r["sent"], r["lost"], r["p99_ms"],
             " / ".join("–" if c is None else str(c) for c in r["instance_cpu_pct"]), r["hosting_cpu_pct"],
             r["idle_cpu_pct"], "–" if ratio is None else f"{ratio:.1%}", r.get("redis_cpu_pct")]
    return "| " + " | ".join("–" if c is None else str(c) for c in cells) + " |"


INSTANCES_HEADER = ("| scenario | --fanout-pubsub | sent | lost | p99 ms | CPU % of each instance (4th hosts nobody) "
                    "| hosting instance CPU % (mean) | 4th instance CPU % | 4th / hosting | Redis CPU % |\n"
                    "|---|---|---|---|---|---|---|---|---|---|")


def passed(r: dict[str, Any]) -> bool:
    return (r["lost"] == 0 and r["ack_failed"] == 0 and r["connect_failures"] == 0 and r["join_failures"] == 0
            and r["duplicates"] == 0 and r["out_of_order"] == 0 and not r["timed_out"]
            and r["p99_ms"] is not None and r["p99_ms"] <= SATURATION_P99_MS)


HEADER = ("| scenario | server | msg/s sent | sent | acks failed | deliveries expected | received | lost "
          "| duplicated | reordered "
          "| deliveries/s | p50 ms | p95 ms | p99 ms | max ms | server CPU % | server CPU µs per delivery "
          "| server RSS MiB | loadgen CPU % |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def row(r: dict[str, Any]) -> str:
    rate = r["senders"] * r["rate_per_sender"]
    cells = [r["scenario"], r["server"], f"{rate:g}", r["sent"], r["ack_failed"], r["expected_deliveries"],
             r["received_deliveries"], r["lost"], r["duplicates"], r["out_of_order"], r["deliveries_per_s"], r["p50_ms"], r["p95_ms"], r["p99_ms"],
             r["max_ms"], r["server_cpu_pct"], r.get("server_cpu_us_per_delivery"), r["server_rss_mib"],
             r["loadgen_cpu_pct"]]
    return "| " + " | ".join("–" if c is None else str(c) for c in cells) + " |"


def saturate(kind: str, base: Scenario, rates: tuple[int, ...], refine: int,
             results: list[dict[str, Any]]) -> float:
    """The highest per-sender rate at which ``base`` passes, raising the rate step by step."""
    best, failed = 0.0, None
    for rate in rates:
        r = measure(kind, replace(base, name=f"A@{rate:g}/s", rate=rate))
        results.append(r)
        print(row(r), flush=True)
        if not passed(r):
            failed = rate
            break
        best = rate
    for _ in range(refine if failed and best else 0):
        rate = round((best + failed) / 2)
        if rate in (best, failed):
            break
        r = measure(kind, replace(base, name=f"A@{rate:g}/s", rate=rate))
        results.append(r)
        print(row(r), flush=True)
        if passed(r):
            best = rate
        else:
            failed = rate
    if failed is None:
        print(f"({kind} passed every rate up to {rates[-1]} msg/s per sender: its ceiling is higher)", flush=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["A", "B", "C", "D", "I", "saturate", "all"], default="all")
    parser.add_argument("--duration", type=float, help="seconds of sending per run (default 20; quick: 3)")
    parser.add_argument("--rate", type=float,
                        help="msg/s per sender in A, B, C and D (default: each scenario's own, 20 or 10)")
    parser.add_argument("--step-duration", type=float,
                        help=f"seconds of sending per saturation step (default {SATURATION_STEP_SECS:g}; quick: 3)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: every chosen scenario scaled down (20-100 clients, 3 s, 2 saturation steps)")
    parser.add_argument("--fanout-pubsub", default=",".join(D_MODES),
                        help=f"the --fanout-pubsub modes scenario D runs with, comma-separated (default "
                             f"{','.join(D_MODES)}; also: sharded)")
    parser.add_argument("--redis-url", help="run scenarios C and D with this Redis fan-out (redis://HOST:PORT/DB), "
                                            "or 'local' to start a throwaway redis-server")
    parser.add_argument("--refine", type=int, default=SATURATION_REFINE_STEPS,
                        help="halvings of the saturation search between the last rate that passed and the "
                             f"first that failed (default {SATURATION_REFINE_STEPS})")
    parser.add_argument("--servers", default=",".join(KINDS),
                        help=f"comma-separated servers to run, of {', '.join(KINDS)} (default: all; every ratio "
                             "is to node's run of the same scenario); bare@STACK runs the bare server on another "
                             f"stack, of {', '.join(BARE_STACKS)}")
    parser.add_argument("--rounds", type=int,
                        help=f"runs of {' and '.join(ROUNDS_OF)} per server, the servers alternating (default "
                             f"{ROUNDS}; quick: 1); the ratios to node are of the medians")
    parser.add_argument("--json", type=Path, help="also write every run's raw figures here")
    parser.add_argument("--gc-stats", action="store_true",
                        help="log the servers' garbage collections (bench/gcprobe) and report their full-collection "
                             "pauses while sending")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    if not kinds or any(k not in KINDS and k not in [f"bare@{s}" for s in BARE_STACKS] for k in kinds):
        parser.error(f"--servers: give some of {', '.join(KINDS)}, or bare@STACK")
    GC_PROBE.update(stats=args.gc_stats)
    if args.scenario in ("C", "D") and not args.redis_url:
        parser.error(f"scenario {args.scenario} needs --redis-url (redis://HOST:PORT/DB, or 'local')")
    modes = [m.strip() for m in args.fanout_pubsub.split(",") if m.strip()]
    if not modes or any(m not in ("broadcast", "rooms", "sharded") for m in modes):
        parser.error("--fanout-pubsub takes broadcast, rooms and sharded, comma-separated")
    for tool in ("taskset", "node"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} not found")
    if not all((BENCH / "node_modules" / package).is_dir() for package in ("socket.io-client", "socket.io")):
        parser.error("the load generator's and the Node server's dependencies are missing: run bench/install.sh")

    quick = args.quick
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds: give 1 or more")
    rounds_of = args.rounds or (1 if quick else ROUNDS)
    duration = args.duration or (3.0 if quick else 20.0)
    step = args.step_duration or (3.0 if quick else SATURATION_STEP_SECS)
    a, b, c, d, i = (replace(s, duration=duration, rate=args.rate or s.rate) for s in (A, B, C, D, I))
    if quick:
        a = replace(a, name="A (quick)", clients=20, rooms=2, senders=2)
        b = replace(b, name="B (quick)", clients=100)
        c = replace(c, name="C (quick)", clients=20, rooms=2, senders=2)
        d = replace(d, name="D (quick)", clients=36, rooms=9, senders=9, rate=5)
        i = replace(i, name="I (quick)", idle=500)
    chosen = {"A", "B", "C", "D", "I", "saturate"} if args.scenario == "all" else {args.scenario}

    results: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    print(HEADER, flush=True)
    for scenario in [s for s in (a, b, i) if s.name[0] in chosen]:
        rounds = rounds_of if scenario.name[0] in ROUNDS_OF else 1
        by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        for k in range(rounds):
            for kind in kinds[k % len(kinds):] + kinds[:k % len(kinds)]:  # each round starts one server later
                run = {**measure(kind, scenario), "round": k + 1}
                by_kind[kind].append(run)
                results.append(run)
                print(row(run), flush=True)
        summary.setdefault("ratios_to_node", {})[scenario.name] = ratios_to_node(
            {kind: medians(rs) for kind, rs in by_kind.items()})
        if rounds > 1:
            summary.setdefault("medians", {})[scenario.name] = {kind: medians(rs) for kind, rs in by_kind.items()}
            summary.setdefault("ratios_to_node_by_round", {})[scenario.name] = [
                ratios_to_node({kind: rs[k] for kind, rs in by_kind.items()}) for k in range(rounds)]
    if "C" in chosen:
        if args.redis_url:
            results.append(measure("twinspace", c, args.redis_url))
            print(row(results[-1]), flush=True)
        else:
            print("(scenario C skipped: give --redis-url to run it)", flush=True)
    if "D" in chosen:
        if args.redis_url:
            runs = [measure_instances(d, args.redis_url, mode) for mode in modes]
            results.extend(runs)
            print("\n" + INSTANCES_HEADER, flush=True)
            for r in runs:
                print(instances_row(r), flush=True)
            print(HEADER, flush=True)
            for r in runs:
                print(row(r), flush=True)
        else:
            print("(scenario D skipped: give --redis-url to run it)", flush=True)
    if "saturate" in chosen:
        base = replace(a, duration=step)
        rates = SATURATION_RATES[:2] if quick else SATURATION_RATES
        refine = 0 if quick else args.refine
        best = {kind: saturate(kind, base, rates, refine, results) for kind in kinds}
        summary["saturation_msgs_per_sender"] = best
        print(f"\nSaturation of {base.name} ({base.senders} senders, p99 <= {SATURATION_P99_MS:g} ms, none lost, "
              "duplicated or reordered), "
              "msg/s per sender: " + ", ".join(f"{kind} {rate:g}" for kind, rate in best.items()), flush=True)
        if best.get("node"):
            print("  as a ratio to node: " + ", ".join(f"{kind} {rate / best['node']:.2f}"
                                                     for kind, rate in best.items() if kind != "node"), flush=True)
        busy = [r for r in results if r["scenario"].startswith("A@") and (r["loadgen_cpu_pct"] or 0) > 90]
        if busy:
            print("(warning: the load generator was above 90 % CPU in "
                  + ", ".join(f"{r['server']} {r['scenario']}" for r in busy)
                  + ": rates there may be limited by it, not by the server)", flush=True)
    if args.gc_stats:
        print("\nFull garbage collections of the server while sending (count, longest pause, total):", flush=True)
        for r in results:
            g = r.get("server_gc") or {}
            print(f"- {r['scenario']} {r['server']}: {g.get('full_collections')}, {g.get('max_ms')} ms, "
                  f"{g.get('total_ms')} ms", flush=True)
    for name, ratios in summary.get("ratios_to_node", {}).items():
        by_round = summary.get("ratios_to_node_by_round", {}).get(name)
        if by_round:
            print(f"\n{name}, the median of {len(by_round)} rounds (servers alternating), each server: " + "; ".join(
                f"{kind}: CPU per delivery {m['server_cpu_us_per_delivery']} µs, p99 {m['p99_ms']} ms"
                for kind, m in summary["medians"][name].items()), flush=True)
        if ratios:
            print(f"{'' if by_round else chr(10)}{name}, as a ratio to node in this run"
                  + (" (of the medians)" if by_round else "") + ": " + "; ".join(
                      f"{kind}: CPU per delivery {r['cpu_per_delivery']}, p99 {r['p99']}" for kind, r in ratios.items()),
                  flush=True)
        for k, round_ratios in enumerate(by_round or []):
            print(f"  round {k + 1}: " + "; ".join(
                f"{kind}: CPU per delivery {r['cpu_per_delivery']}, p99 {r['p99']}" for kind, r in round_ratios.items()),
                flush=True)
    for r in results:
        if r.get("rss_per_connection_kib") is not None:
            print(f"\n{r['scenario']} {r['server']}: {r['clients']} connections, RSS {r['server_rss_base_mib']} MiB "
                  f"before them, {r['server_rss_mib']} MiB with them ({r['rss_per_connection_kib']} KiB each); "
                  f"chat:send ack p99 {r.get('ack_p99_ms')} ms, delivery p99 {r['p99_ms']} ms; slowest acks "
                  f"[s after the first send, ms]: {r.get('slowest_acks')}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
