"""Runs the benchmark scenarios against Twinspace and against the bare python-socketio server.

Every server runs pinned to CPU 0 and the load generator to CPU 1, on loopback. Prints one
Markdown table row per run; ``--json`` writes the raw figures too.

    .venv/bin/python bench/run.py --scenario all
    .venv/bin/python bench/run.py --quick            # a short smoke run

Scenarios (the issue's): A = 200 clients in 10 rooms, 10 senders at 20 msg/s for 20 s;
B = 1,000 clients in one room, one sender at 10 msg/s; C = A over two Twinspace instances sharing
Redis; ``saturate`` = A with rising rates until loss > 0 or p99 > 250 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.redis import RedisServer  # noqa: E402
from tests.support.server import free_port  # noqa: E402

PYTHON = sys.executable
SERVER_CPU, LOADGEN_CPU = "0", "1"
READY_TIMEOUT_SECS = 30
SATURATION_P99_MS = 250.0
SATURATION_RATES = (20, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400, 500)  # msg/s per sender, 10 senders


@dataclass
class Scenario:
    name: str
    clients: int
    rooms: int
    senders: int
    rate: float
    duration: float
    instances: int = 1


def token(secret: str, sub: str, role: str, name: str, school: str = "", country: str = "FR") -> str:
    now = int(time.time())
    claims = {"sub": sub, "name": name, "role": role, "school": school, "country": country,
              "iss": "twinspace", "aud": "twinspace", "iat": now, "exp": now + 3600}
    return jwt.encode(claims, secret, algorithm="HS256")


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("server not ready")


@contextlib.contextmanager
def twinspace(data: Path, instances: int, redis_url: str | None) -> Iterator[tuple[list[str], list[int], str]]:
    procs, urls = [], []
    extra = ["--fanout-url", redis_url] if redis_url else []
    try:
        for _ in range(instances):
            port = free_port()
            proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, PYTHON, "-m", "server", "serve", "--port", str(port),
                                     "--data-dir", str(data), "--chat-rate-messages", "10000", "--chat-rate-window-secs", "1",
                                     "--log-level", "warning", *extra], cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=open(data.parent / f"server-{port}.log", "ab"))
            procs.append(proc)
            urls.append(f"http://127.0.0.1:{port}")
            wait_ready(urls[-1], proc)
        yield urls, [p.pid for p in procs], (data / "jwt-secret").read_text().strip()
    finally:
        for proc in procs:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)


@contextlib.contextmanager
def bare() -> Iterator[tuple[list[str], list[int], str]]:
    port = free_port()
    proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, PYTHON, str(ROOT / "bench" / "bare_server.py"), str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECS
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", timeout=1)
                break
            time.sleep(0.1)
        yield [f"http://127.0.0.1:{port}"], [proc.pid], ""
    finally:
        proc.terminate()
        proc.wait(15)


def populate(url: str, secret: str, scenario: Scenario) -> tuple[list[str], list[str]]:
    """A validated project with the scenario's pupils and rooms; returns (pupil tokens, room ids)."""
    admin = token(secret, "bench_teacher", "teacher", "Teacher", school="School A")
    support = token(secret, "bench_support", "support", "Support")
    with httpx.Client(base_url=url + "/api/v1", timeout=30) as http:
        r = http.post("/projects", headers={"Authorization": f"Bearer {admin}"}, json={
            "title": "Benchmark", "subject": "Load", "age_min": 10, "age_max": 12, "languages": ["en"],
            "partners": [{"user_id": "bench_partner", "display_name": "P", "school": "School B", "country": "DE"}]})
        r.raise_for_status()
        pid = r.json()["id"]
        http.post(f"/projects/{pid}/validate", headers={"Authorization": f"Bearer {support}"}).raise_for_status()
        auth = {"Authorization": f"Bearer {admin}"}
        rooms = []
        for i in range(scenario.rooms):
            r = http.post(f"/projects/{pid}/spaces", headers=auth, json={"name": f"Room {i}"})
            r.raise_for_status()
            rooms.append(r.json()["id"])
        tokens = []
        for i in range(scenario.clients):
            r = http.post(f"/projects/{pid}/members", headers=auth, json={"role": "pupil", "display_name": f"P{i}"})
            r.raise_for_status()
            tokens.append(token(secret, r.json()["user_id"], "pupil", f"P{i}"))
    return tokens, rooms


def plan_for(scenario: Scenario, urls: list[str], tokens: list[str], rooms: list[str]) -> dict[str, Any]:
    clients = [{"url": urls[i % len(urls)], "token": tokens[i], "rooms": [rooms[i % len(rooms)]]}
               for i in range(scenario.clients)]
    senders = [{"client": i, "room": rooms[i % len(rooms)], "rate": scenario.rate} for i in range(scenario.senders)]
    return {"clients": clients, "senders": senders, "duration_secs": scenario.duration}


def cpu_secs(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_load(plan: dict[str, Any], pids: list[int], workdir: Path) -> dict[str, Any]:
    plan_file = workdir / "plan.json"
    plan_file.write_text(json.dumps(plan))
    cpu0 = sum(cpu_secs(p) for p in pids)
    t0 = time.monotonic()
    peak = 0.0
    proc = subprocess.Popen(["taskset", "-c", LOADGEN_CPU, "node", str(ROOT / "bench" / "loadgen.mjs"), str(plan_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + plan["duration_secs"] + 180
    while proc.poll() is None and time.monotonic() < deadline:
        peak = max(peak, sum(rss_mib(p) for p in pids))
        time.sleep(0.25)
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate(timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(f"loadgen failed ({proc.returncode}): {err[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["server_cpu_pct"] = round(100 * (sum(cpu_secs(p) for p in pids) - cpu0) / (time.monotonic() - t0), 1)
    result["server_rss_mib"] = round(peak, 1)
    return result


def measure(kind: str, scenario: Scenario, redis_url: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="twinspace-bench-") as tmp:
        workdir = Path(tmp)
        if kind == "bare":
            with bare() as (urls, pids, _):
                tokens = [f"t{i}" for i in range(scenario.clients)]
                rooms = [f"room{i}" for i in range(scenario.rooms)]
                result = run_load(plan_for(scenario, urls, tokens, rooms), pids, workdir)
        else:
            with twinspace(workdir / "data", scenario.instances, redis_url) as (urls, pids, secret):
                tokens, rooms = populate(urls[0], secret, scenario)
                result = run_load(plan_for(scenario, urls, tokens, rooms), pids, workdir)
    return {"server": kind, "scenario": scenario.name, **result}


def row(r: dict[str, Any]) -> str:
    return (f"| {r['scenario']} | {r['server']} | {r['sent_acked']} | {r['deliveries_per_sec']} | {r['lost']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['server_cpu_pct']} | "
            f"{r['server_rss_mib']} |")


HEADER = ("| scenario | server | sent | deliveries/s | lost | p50 ms | p95 ms | p99 ms | max ms | server CPU % | "
          "server RSS MiB |\n|---|---|---|---|---|---|---|---|---|---|---|")


def saturate(kind: str, duration: float) -> tuple[float, list[dict[str, Any]]]:
    best, runs = 0.0, []
    for rate in SATURATION_RATES:
        r = measure(kind, Scenario(f"A@{rate}/s", 200, 10, 10, rate, duration))
        runs.append(r)
        print(row(r), flush=True)
        if r["lost"] > 0 or r["ack_failures"] > 0 or float(r["p99_ms"] or 0) > SATURATION_P99_MS:
            break
        best = rate
    return best, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["A", "B", "C", "saturate", "all"], default="all")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending per run")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (20 clients, 3 s)")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    print(HEADER, flush=True)
    if args.quick:
        for kind in ("twinspace", "bare"):
            results.append(measure(kind, Scenario("quick", 20, 2, 2, 10, 3)))
            print(row(results[-1]), flush=True)
    else:
        d = args.duration
        if args.scenario in ("A", "all"):
            for kind in ("twinspace", "bare"):
                results.append(measure(kind, Scenario("A", 200, 10, 10, 20, d)))
                print(row(results[-1]), flush=True)
        if args.scenario in ("B", "all"):
            for kind in ("twinspace", "bare"):
                results.append(measure(kind, Scenario("B", 1000, 1, 1, 10, d)))
                print(row(results[-1]), flush=True)
        if args.scenario in ("C", "all"):
            with tempfile.TemporaryDirectory(prefix="twinspace-redis-") as tmp:
                redis = RedisServer(Path(tmp)).start()
                try:
                    results.append(measure("twinspace x2 + Redis", Scenario("C", 200, 10, 10, 20, d, instances=2),
                                           redis.url))
                    print(row(results[-1]), flush=True)
                finally:
                    redis.stop()
        if args.scenario in ("saturate", "all"):
            ours, runs_ours = saturate("twinspace", min(d, 10))
            theirs, runs_bare = saturate("bare", min(d, 10))
            results += runs_ours + runs_bare
            ratio = ours / theirs if theirs else 0.0
            print(f"\nSaturation of A (msg/s per sender, 10 senders): twinspace {ours}, bare {theirs}, "
                  f"ratio {ratio:.0%}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
