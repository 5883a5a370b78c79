"""Where a chat send's CPU goes inside the Twinspace server, stage by stage, under scenario A.

Runs ``bench/run.py --scenario A --servers twinspace --rounds 1`` (``--rate``, ``--duration`` passed
on) with the stage probe on the server's PYTHONPATH (``bench/stageprobe``: the server's code is unchanged), then
reads the probe's once-a-second totals over the seconds messages arrived at a steady rate and
prints, per message, the process's CPU and each stage's (thread CPU, inclusive: a stage's line
includes the stages it calls). The probe's own cost is in the figures: compare stages with each
other and runs with each other, not with ``run.py``'s CPU per delivery.

    .venv/bin/python bench/stage_costs.py [--rate R] [--duration S]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MESSAGES = "receive: Socket.IO packet decode"  # one per chat:send


def steady(rows: list[dict]) -> tuple[dict, dict] | None:
    """The first and last of the probe's rows while messages kept arriving (one second trimmed off each end)."""
    counts = [row["calls"].get(MESSAGES, 0) for row in rows]
    busy = [i for i in range(1, len(rows)) if counts[i] - counts[i - 1] > 0]
    if len(busy) < 4:
        return None
    return rows[busy[0] + 1], rows[busy[-1] - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--duration", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="twinspace-stages-") as folder:
        prefix = str(Path(folder) / "stages")
        env = {**os.environ, "BENCH_STAGES": prefix,
               "PYTHONPATH": os.pathsep.join(p for p in (str(BENCH / "stageprobe"), os.environ.get("PYTHONPATH")) if p)}
        cmd = [sys.executable, str(BENCH / "run.py"), "--scenario", "A", "--servers", "twinspace",
               "--rounds", "1", "--duration", str(args.duration)] + (["--rate", str(args.rate)] if args.rate else [])
        run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        print("\n".join(line for line in run.stdout.splitlines() if line.startswith("| A")))
        files = sorted(Path(folder).glob("stages.*"))
        if run.returncode != 0 or not files:
            sys.exit(f"the run failed ({run.returncode}):\n{run.stderr[-2000:]}")
        rows = [json.loads(line) for line in files[-1].read_text().splitlines() if line.strip()]
    window = steady(rows)
    if window is None:
        sys.exit("too few seconds of messages to measure")
    first, last = window
    messages = last["calls"][MESSAGES] - first["calls"][MESSAGES]
    print(f"\n{messages} messages over {last['t'] - first['t']:.0f} s; server CPU per message (every thread, "
          f"the probe's too): {(last['cpu'] - first['cpu']) / messages * 1e6:.1f} us\n")
    print("| stage | CPU us per message | calls per message |")
    print("|---|---|---|")
    for name in sorted(last["ns"], key=lambda n: first["ns"].get(n, 0) - last["ns"][n]):
        ns = last["ns"][name] - first["ns"].get(name, 0)
        calls = last["calls"][name] - first["calls"].get(name, 0)
        print(f"| {name} | {ns / messages / 1e3:.1f} | {calls / messages:.2f} |")


if __name__ == "__main__":
    main()
