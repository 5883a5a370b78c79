"""The embedded object store: file bytes in a folder on disk.

A put writes to a temporary file, fsyncs it and renames it into place, so
a key holds either nothing or all of its bytes, even after a crash.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from rooms.errors import NotFound, Unavailable

READ_CHUNK_BYTES = 256 * 1024  # large enough for disk throughput, small enough to stream
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class LocalObjectStore:
    """:class:`rooms.ports.ObjectStore` on a local folder."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def open(self) -> None:
        try:
            (self._root / ".tmp").mkdir(parents=True, exist_ok=True)
            for leftover in (self._root / ".tmp").glob("*.part"):  # uploads cut off by a crash
                leftover.unlink(missing_ok=True)
        except OSError as exc:
            raise Unavailable("backend.unavailable", backend="files", detail=f"{self._root}: {exc}") from exc

    async def aclose(self) -> None:
        """Nothing to release; present so every store closes the same way."""

    def _path(self, key: str) -> Path:
        if not _KEY_RE.match(key) or ".." in key.split("/"):
            raise ValueError(f"invalid object key {key!r}")
        return self._root / key

    async def put(self, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        final = self._path(key)
        tmp = self._root / ".tmp" / f"{secrets.token_hex(8)}.part"
        size = 0
        try:
            with open(tmp, "wb") as fh:
                async for chunk in chunks:
                    await asyncio.to_thread(fh.write, chunk)
                    size += len(chunk)
                await asyncio.to_thread(_flush_and_sync, fh)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise Unavailable("backend.unavailable", backend="files") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)  # an interrupted upload leaves nothing behind
            raise
        return size

    async def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            fh = open(path, "rb")
        except FileNotFoundError:
            raise NotFound("file.not_found") from None
        except OSError as exc:
            raise Unavailable("backend.unavailable", backend="files") from exc
        with fh:
            fh.seek(start)
            left = None if end is None else max(0, end - start)
            while left is None or left > 0:
                want = READ_CHUNK_BYTES if left is None else min(READ_CHUNK_BYTES, left)
                chunk = await asyncio.to_thread(fh.read, want)
                if not chunk:
                    break
                if left is not None:
                    left -= len(chunk)
                yield chunk

    async def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise Unavailable("backend.unavailable", backend="files") from exc

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def presigned_url(self, key: str, expires_secs: int, filename: str, content_type: str) -> str | None:
        return None  # local files are served by the server itself

    async def ping(self) -> None:
        probe = self._root / ".tmp" / "ping"
        try:
            await asyncio.to_thread(probe.write_bytes, b"ok")
            probe.unlink()
        except OSError as exc:
            raise Unavailable("backend.unavailable", backend="files") from exc


def _flush_and_sync(fh: BinaryIO) -> None:
    fh.flush()
    os.fsync(fh.fileno())
