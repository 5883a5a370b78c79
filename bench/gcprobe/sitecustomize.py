"""Garbage-collector probe for the servers under test, loaded only when ``bench/run.py`` puts this
folder on their PYTHONPATH (``--gc-stats``); the servers' code is unchanged.

- ``BENCH_GC_LOG=PREFIX``: one line per collection in ``PREFIX.<pid>``: wall time, generation,
  pause in ms, objects collected.
"""

import gc
import os
import time

if os.environ.get("BENCH_GC_LOG"):
    _log = open(f"{os.environ['BENCH_GC_LOG']}.{os.getpid()}", "a", buffering=1)
    _started = [0.0]

    def _timed(phase: str, info: dict) -> None:
        if phase == "start":
            _started[0] = time.perf_counter()
        else:
            pause_ms = 1000 * (time.perf_counter() - _started[0])
            _log.write(f"{time.time():.3f} {info['generation']} {pause_ms:.3f} {info['collected']}\n")

    gc.callbacks.append(_timed)
