"""The memory of a server process, sampled while something streams through it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECS = 0.005  # often enough to see a peak while a chunk passes


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@dataclass
class Growth:
    before_kib: int
    peak_kib: int

    @property
    def mib(self) -> float:
        """How far the resident memory rose above where it started, in MiB."""
        return (self.peak_kib - self.before_kib) / 1024


@contextmanager
def peak_growth(pid: int) -> Iterator[Growth]:
    """Sample ``pid``'s resident memory on a thread while the block runs; the growth is read after it."""
    growth = Growth(rss_kib(pid), 0)
    growth.peak_kib = growth.before_kib
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            growth.peak_kib = max(growth.peak_kib, rss_kib(pid))
            time.sleep(SAMPLE_SECS)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield growth
    finally:
        done.set()
        watcher.join(5)
