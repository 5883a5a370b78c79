"""The documents that describe the contract say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from rooms.errors import SPECS
from server.http.api import ENDPOINTS
from server.realtime.events import EVENTS
from server.realtime.fanout import PUSHES
from server.settings import OPTIONS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_protocol_reference_is_generated_from_the_code() -> None:
    from server.docgen import reference

    text = (DOCS / "protocol.md").read_text()
    assert reference() in text, "run: .venv/bin/python -m server.docgen docs/protocol.md"


def test_protocol_documents_every_event_and_error_code() -> None:
    text = (DOCS / "protocol.md").read_text()
    missing = [name for name in [*EVENTS, *PUSHES, *SPECS] if f"`{name}`" not in text]
    assert missing == []


def test_protocol_documents_every_rest_endpoint() -> None:
    text = (DOCS / "protocol.md").read_text()
    missing = [f"{ep.method} {ep.path}" for ep in ENDPOINTS
               if not re.search(rf"{ep.method}\s+`?/api/v1{re.escape(ep.path)}`?", text)]
    assert missing == []


def test_configuration_documents_every_setting() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [o.name for o in OPTIONS if f"`{o.flag}`" not in text or f"`{o.env}`" not in text]
    assert missing == []


def test_error_codes_are_dotted_and_have_an_english_message() -> None:
    # Their translations: tests/unit/test_catalogues.py.
    for spec in SPECS.values():
        assert spec.message.strip(), spec.code
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)+", spec.code), spec.code
        assert spec.names_field <= ("{detail}" in spec.message), spec.code


def test_architecture_names_every_module() -> None:
    """docs/architecture.md describes the code as it is: every module of the three packages is named
    (by its name, its path, or a pattern such as ``storage/documents/sqlite_*.py``)."""
    import fnmatch

    text = (DOCS / "architecture.md").read_text()
    quoted = set(re.findall(r"`([^`\n]+)`", text))
    patterns = {q for q in quoted if "*" in q}
    root = DOCS.parent
    missing = []
    for package in ("rooms", "server", "storage"):
        for path in sorted((root / package).rglob("*.py")):
            if path.name in ("__init__.py", "__main__.py"):
                continue
            full = str(path.relative_to(root))
            inner = str(path.relative_to(root / package))
            if not ({path.name, full, inner} & quoted or any(fnmatch.fnmatch(full, p) for p in patterns)):
                missing.append(full)
    assert missing == []
