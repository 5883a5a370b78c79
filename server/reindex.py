"""``twinspace reindex``: the search index rebuilt from the documents, with progress.

It empties the index (``SearchStore.clear_search``), then indexes every kind again in id order, a
batch of ``limits.REINDEX_BATCH`` items per store call (``SearchStore.reindex``), printing after each
batch how many items of the kind are done, the running total and the rate. It may run while the
server serves: what is written meanwhile is indexed by its own write, and indexing an item again
replaces its entry. Until it is done, searches find only what is indexed so far.
"""

from __future__ import annotations

import time
from typing import TextIO

from rooms import limits
from rooms.ports import SearchStore
from rooms.search_models import SEARCH_KINDS


async def rebuild(store: SearchStore, out: TextIO, batch: int = limits.REINDEX_BATCH) -> dict[str, int]:
    """Rebuild the index; how many items of each kind it holds again."""
    started = time.monotonic()
    await store.clear_search()
    print("search index cleared; rebuilding", file=out, flush=True)
    counts: dict[str, int] = {}
    total = 0
    for kind in SEARCH_KINDS:
        counts[kind] = 0
        after = ""
        while True:
            done, after = await store.reindex(kind, after, batch)
            if done == 0:
                break
            counts[kind] += done
            total += done
            rate = total / max(time.monotonic() - started, 1e-6)
            print(f"{kind}: {counts[kind]} (total {total}, {rate:.0f} items/s)", file=out, flush=True)
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{kind} {n}" for kind, n in counts.items())
    print(f"reindexed {total} items in {elapsed:.1f} s: {summary}", file=out, flush=True)
    return counts
