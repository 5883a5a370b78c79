"""The garbage collector's settings for a long-running server.

Every push to a room of 1,000 connections creates thousands of short-lived
objects (tasks, packets, frames). With CPython's default thresholds
(700, 10, 10) enough of them survive a young collection to be promoted, so
a full collection of the whole heap runs about every second and stops the
event loop for 70-150 ms: every delivery caught behind it waits
(docs/performance.md, scenario B).

A larger first threshold lets those objects die young, before any
collection looks at them; freezing what start-up created (modules,
settings, compiled schemas) keeps it out of every later collection.
Reference cycles are still collected, only less often.

So nothing large may wait for the collector: an idle server makes no
allocations, and a cycle holding a client's frame would stay until the next
full collection, which may be never (issue 18: 108 refused 15 MiB frames left
1.27 GB). A frame larger than ``server.app.TRANSPORT_MAX_BYTES`` is refused by
the WebSocket layer from its header, before its body is read; a smaller one
that is refused (``server/realtime/frames.py``) keeps no reference to its data
and raises nothing that would put it in a traceback's cycle, so reference
counting frees it at once, whatever these thresholds
(``tests/unit/test_frames.py`` checks it with the collector off;
``tests/integration/test_transport_limits.py`` checks the server's RSS).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

# Allocations (minus deallocations) between young collections; then 20 young
# per middle and 10 middle per full one, as measured in docs/performance.md.
THRESHOLDS = (50_000, 20, 10)


def tune() -> None:
    """Apply :data:`THRESHOLDS`; call once, early."""
    gc.set_threshold(*THRESHOLDS)


def freeze_startup_objects() -> None:
    """Move everything alive now into the permanent generation; call once start-up is done."""
    gc.collect()
    gc.freeze()
    log.debug("gc: %d start-up objects frozen, thresholds %s", gc.get_freeze_count(), gc.get_threshold())
