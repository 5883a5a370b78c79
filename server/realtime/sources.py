"""The one test the private-interface patches make before they install: is a dependency's code the
code a patch was written for? Each keeps the SHA-256 of the source it replaces or relies on, and
installs only when the dependency's source still hashes to it (docs/architecture.md, dependencies)."""

from __future__ import annotations

import hashlib
import inspect
import logging
from typing import Any

log = logging.getLogger(__name__)


def source_sha256(*objects: Any) -> str:
    """The SHA-256 (hex) of the sources of ``objects`` read one after the other; "" when one has no
    source to read (missing, built in, or installed without its ``.py`` files)."""
    try:
        source = "".join(inspect.getsource(obj) for obj in objects)
    except (OSError, TypeError):
        return ""
    return hashlib.sha256(source.encode()).hexdigest()


def all_match(table: dict[str, tuple[Any, str]], module: str, otherwise: str,
              logger: logging.Logger = log) -> bool:
    """Whether every source named in ``table`` (name -> (function, SHA-256)) hashes as written there;
    else a warning on ``logger`` that the first one is not the one ``module`` was written for, and
    ``otherwise``."""
    for name, (function, sha256) in table.items():
        if source_sha256(function) != sha256:
            logger.warning("%s is not the one %s was written for; %s", name, module, otherwise)
            return False
    return True
