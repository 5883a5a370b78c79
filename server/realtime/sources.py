"""The one test the private-interface patches make before they install: is a dependency's code the
code a patch was written for? Each keeps the SHA-256 of the source it replaces or relies on, and
installs only when the dependency's source still hashes to it (docs/architecture.md, dependencies)."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any


def source_sha256(*objects: Any) -> str:
    """The SHA-256 (hex) of the sources of ``objects`` read one after the other; "" when one has no
    source to read (missing, built in, or installed without its ``.py`` files)."""
    try:
        source = "".join(inspect.getsource(obj) for obj in objects)
    except (OSError, TypeError):
        return ""
    return hashlib.sha256(source.encode()).hexdigest()
