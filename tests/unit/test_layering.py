"""rooms/ is the domain: it imports no transport, adapter, framework or driver."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"server", "storage", "socketio", "engineio", "starlette", "uvicorn", "pymongo", "motor",
             "redis", "minio", "sqlite3", "httpx", "aiohttp", "jwt"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_rooms_imports_nothing_from_outside_the_domain() -> None:
    files = sorted((ROOT / "rooms").rglob("*.py"))
    assert len(files) >= 5
    offenders = {str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN) for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import socketio\nfrom storage.documents import sqlite\nfrom rooms import policy\n")
    assert imported_roots(sample) & FORBIDDEN == {"socketio", "storage"}


def test_storage_imports_no_transport() -> None:
    for f in (ROOT / "storage").rglob("*.py"):
        assert not imported_roots(f) & {"server", "socketio", "starlette", "uvicorn"}, f
