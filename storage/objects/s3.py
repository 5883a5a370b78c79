"""The S3 object store: file bytes in a bucket of an S3-compatible service.

Works with AWS S3 and with the services that speak its API (MinIO, Ceph,
OpenStack Swift's s3api, ...), through the ``minio`` SDK. The SDK blocks,
so every call runs in this store's own bounded thread pools; the event loop
never waits on the network.

Uploads stream through the SDK's public ``put_object`` with an unknown length:
in a worker thread it reads a part (5 MiB, S3's smallest) at a time from a
blocking view of the async chunk iterator and sends it before reading the
next. The view holds at most one chunk beyond what the SDK asked for, so an
upload holds a constant few parts whatever the file's size: three (about 15
MiB) while a part is read, since the SDK keeps the part it sent and copies
the next one once (docs/architecture.md). When the chunks stop with an error
the SDK aborts the multipart upload: nothing appears under the key.

URL: ``s3://ACCESS_KEY:SECRET_KEY@HOST:PORT/BUCKET?secure=false&region=us-east-1``
(``minio://`` is the same). The access key and the secret are percent-encoded
(``test:tester`` is written ``test%3Atester``). ``secure`` defaults to true
(https); without ``region`` the SDK asks the service for the bucket's region.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import io
import os
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, BinaryIO, TypeVar, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from rooms.errors import NotFound, Unavailable
from rooms.filenames import content_disposition

T = TypeVar("T")

SCHEMES = ("s3", "minio")
# Threads for short calls (stat, delete, one read of a download, ...). They bound how many
# S3 requests this process has in flight at once, and so its threads and connections.
CALL_WORKERS = 8
# Threads for uploads, apart: an upload holds its thread for as long as the client takes to
# send the file, and slow uploads must not make every download wait for a thread.
UPLOAD_WORKERS = 8
PART_BYTES = 5 * 1024 * 1024  # S3's smallest multipart part: the least memory an upload can hold
READ_CHUNK_BYTES = 256 * 1024  # as the local store: one executor round trip per 256 KiB
CONNECT_TIMEOUT_SECS = 5.0  # an endpoint that does not accept a connection is down
READ_TIMEOUT_SECS = 60.0  # between two packets of one answer
RETRIES = 3  # for refused connections and 5xx answers, with short backoff (about 1 s in all)
CANCEL_WAIT_SECS = 30.0  # how long a cancelled upload waits for its abort to reach the service
# Same keys as the local store: <project_id>/<file_id>, nothing that could escape a prefix.
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")
# Bucket names as S3 accepts them everywhere (3-63 lowercase letters, digits, dots, hyphens).
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DRIVER_ERRORS = (MinioException, urllib3.exceptions.HTTPError, OSError)
_URL_SHAPE = "s3://ACCESS_KEY:SECRET_KEY@HOST:PORT/BUCKET?secure=true|false&region=REGION"


@dataclass(frozen=True)
class S3Location:
    """Where the bytes go, as read from an ``s3://`` URL."""

    endpoint: str  # host:port, as the SDK wants it
    bucket: str
    access_key: str
    secret_key: str = field(repr=False)
    secure: bool = True
    region: str | None = None


def parse_s3_url(url: str) -> S3Location:
    """Read an ``s3://`` or ``minio://`` URL; ``ValueError`` says what is wrong with it.

    The messages never repeat the secret.
    """
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"an S3 URL starts with s3:// or minio:// ({_URL_SHAPE})")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    access, colon, secret = userinfo.partition(":")
    if not at or not colon or not access or not secret:
        raise ValueError(f"the access key and secret are missing ({_URL_SHAPE}; "
                         "percent-encode a ':' in them as %3A)")
    if not parts.hostname:
        raise ValueError(f"the host is missing ({_URL_SHAPE})")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise ValueError(f"the port is not a number from 0 to 65535 ({_URL_SHAPE})") from None
    bucket = parts.path.strip("/")
    if not bucket:
        raise ValueError(f"the bucket is missing ({_URL_SHAPE})")
    if not _BUCKET_RE.match(bucket):
        raise ValueError(f"{bucket!r} is not a bucket name (3 to 63 lowercase letters, digits, dots "
                         "or hyphens; no slash)")
    secure, region = True, None
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "secure":
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"secure={value!r}: use secure=true or secure=false")
            secure = value.lower() in ("true", "1", "yes")
        elif name == "region":
            if not value:
                raise ValueError("region is empty: leave it out or give one, e.g. region=us-east-1")
            region = value
        else:
            raise ValueError(f"unknown parameter {name!r} (known: secure, region)")
    return S3Location(endpoint=hostport, bucket=bucket, access_key=unquote(access),
                      secret_key=unquote(secret), secure=secure, region=region)


class S3ObjectStore:
    """:class:`rooms.ports.ObjectStore` on an S3 bucket."""

    def __init__(self, location: S3Location) -> None:
        self._location = location
        self._bucket = location.bucket
        self._http = urllib3.PoolManager(
            maxsize=CALL_WORKERS + UPLOAD_WORKERS,  # one connection per thread that may use one
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECS, read=READ_TIMEOUT_SECS),
            retries=urllib3.Retry(total=RETRIES, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),  # as the SDK's own default
        )
        self._client = Minio(location.endpoint, access_key=location.access_key, secret_key=location.secret_key,
                             secure=location.secure, region=location.region, http_client=self._http)
        self._calls = concurrent.futures.ThreadPoolExecutor(CALL_WORKERS, thread_name_prefix="s3-call")
        self._uploads = concurrent.futures.ThreadPoolExecutor(UPLOAD_WORKERS, thread_name_prefix="s3-upload")
        self._closed = False

    def __repr__(self) -> str:
        return f"S3ObjectStore({self._where})"

    @property
    def _where(self) -> str:
        scheme = "https" if self._location.secure else "http"
        return f"{scheme}://{self._location.endpoint}/{self._bucket}"

    async def open(self) -> None:
        """Check that the service answers; create the bucket when it does not exist yet."""
        await self._call(self._ensure_bucket)

    def _ensure_bucket(self) -> None:
        if self._client.bucket_exists(self._bucket):
            return
        try:
            self._client.make_bucket(self._bucket)
        except S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
            if not self._client.bucket_exists(self._bucket):  # someone else's bucket
                raise

    async def aclose(self) -> None:
        """Stop the threads and drop the connections; closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        for pool in (self._calls, self._uploads):
            pool.shutdown(wait=False, cancel_futures=True)
        self._http.clear()

    async def put(self, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        _check_key(key)
        reader = _ChunkReader(chunks, asyncio.get_running_loop())
        job = self._submit(self._uploads, self._put_streamed, key, reader,
                           content_type or "application/octet-stream")
        failure: BaseException | None = None
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            # The thread goes on: make its next read fail so the SDK aborts the upload, and give
            # that abort a moment, so a cancelled upload leaves nothing either.
            reader.cancel()
            await asyncio.wait([job], timeout=CANCEL_WAIT_SECS)
            if job.done() and not job.cancelled():
                job.exception()  # retrieved: the cancellation is what the caller gets
            raise
        except Exception as exc:  # noqa: BLE001 - sorted out below, outside this handler
            failure = exc
        if failure is None:
            return reader.size
        if reader.error is not None:
            raise reader.error  # the chunks' own error (an upload cut off, a limit hit), as it was
        raise self._unavailable(failure) from failure

    def _put_streamed(self, key: str, reader: _ChunkReader, content_type: str) -> None:
        """In a worker thread: the SDK's streaming ``put_object``, one part after the other.

        With ``length=-1`` the SDK reads ``PART_BYTES`` at a time from ``reader``: a file smaller
        than a part is one plain PUT, a larger one a multipart upload, which the SDK aborts when a
        read (or a part) fails. One part in flight at a time (``num_parallel_uploads=1``): each
        parallel part would hold a part more, in threads of the SDK's own, outside this store's
        bounded pools.
        """
        self._client.put_object(self._bucket, key, cast(BinaryIO, reader), length=-1, content_type=content_type,
                                part_size=PART_BYTES, num_parallel_uploads=1)

    async def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        _check_key(key)
        length = None if end is None else max(0, end - start)
        if length == 0:  # the SDK reads "length 0" as "to the end"; only the key's presence matters
            if not await self.exists(key):
                raise NotFound("file.not_found")
            return
        response = await self._call(self._open_range, key, start, length)
        if response is None:
            return
        try:
            while True:
                chunk = await self._call(functools.partial(response.read, READ_CHUNK_BYTES, decode_content=False))
                if not chunk:
                    break
                yield chunk
        finally:
            # Closing drops the socket without reading the rest: it never waits, so it is done
            # here, also while the generator is closed early or its task cancelled.
            response.close()
            response.release_conn()

    def _open_range(self, key: str, start: int, length: int | None) -> Any:
        try:
            return self._client.get_object(self._bucket, key, offset=start, length=length or 0)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise NotFound("file.not_found") from None
            if exc.code == "InvalidRange":  # starts at or past the end: no bytes, as a file read
                return None
            raise

    async def delete(self, key: str) -> None:
        _check_key(key)
        await self._call(self._delete, key)

    def _delete(self, key: str) -> None:
        try:
            self._client.remove_object(self._bucket, key)
        except S3Error as exc:
            if exc.code != "NoSuchKey":
                raise

    async def exists(self, key: str) -> bool:
        _check_key(key)
        return await self._call(self._exists, key)

    def _exists(self, key: str) -> bool:
        try:
            self._client.stat_object(self._bucket, key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                return False
            raise
        return True

    async def presigned_url(self, key: str, expires_secs: int, filename: str, content_type: str) -> str | None:
        _check_key(key)
        headers = {"response-content-disposition": content_disposition(filename, content_type),
                   "response-content-type": content_type or "application/octet-stream"}
        return await self._call(self._client.presigned_get_object, self._bucket, key,
                                expires=timedelta(seconds=expires_secs), response_headers=headers)

    async def ping(self) -> None:
        if not await self._call(self._client.bucket_exists, self._bucket):
            raise Unavailable("backend.unavailable", backend="files",
                              detail=f"s3 {self._where}: the bucket does not exist")

    def _submit(self, pool: concurrent.futures.ThreadPoolExecutor, fn: Callable[..., T], *args: Any,
                **kwargs: Any) -> asyncio.Future[T]:
        if self._closed:
            raise Unavailable("backend.unavailable", backend="files", detail=f"s3 {self._where}: closed")
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # as asyncio.to_thread: the call sees the caller's context
        return loop.run_in_executor(pool, functools.partial(context.run, fn, *args, **kwargs))

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one blocking SDK call in a worker thread; driver errors become ``Unavailable``."""
        try:
            return await self._submit(self._calls, fn, *args, **kwargs)
        except _DRIVER_ERRORS as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: BaseException) -> Unavailable:
        if isinstance(exc, S3Error):
            reason = f"{exc.code}: {exc.message}"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return Unavailable("backend.unavailable", backend="files", detail=f"s3 {self._where}: {reason}"[:500])


class _SourceFailed(Exception):
    """Raised to the SDK in place of the chunks' own error, so that it aborts the upload."""


class _ChunkReader(io.RawIOBase):
    """A blocking file-like view of an async chunk iterator, for a worker thread.

    A read that needs bytes asks the event loop for the next chunk and waits for it: the
    iterator advances only as fast as the upload goes (the client's sends wait meanwhile), and
    the buffer is the one chunk being handed over, never more than what the SDK asked for plus
    the rest of that chunk.
    """

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._chunks = aiter(chunks)
        self._loop = loop
        self._pending = b""
        self._eof = False
        self._cancelled = False
        self._waiting: concurrent.futures.Future[bytes | None] | None = None
        self._lock = threading.Lock()
        self.size = 0
        self.error: BaseException | None = None  # what the chunk iterator raised

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); fewer only at the end.

        The SDK asks for a whole part at once: joining the chunks here copies each byte once.
        """
        want = sys.maxsize if size is None or size < 0 else size
        pieces: list[bytes] = []
        have = 0
        while have < want:
            if not self._pending:
                if self._eof:
                    break
                self._pending = self._next_chunk()
                continue
            piece = self._pending[:want - have]
            self._pending = self._pending[len(piece):]
            pieces.append(piece)
            have += len(piece)
        return b"".join(pieces)

    def _next_chunk(self) -> bytes:
        with self._lock:
            if self._cancelled:
                raise _SourceFailed("the upload was cancelled")
            waiting = asyncio.run_coroutine_threadsafe(_next_or_none(self._chunks), self._loop)
            self._waiting = waiting
        try:
            chunk = waiting.result()
        except BaseException as exc:  # noqa: BLE001 - whatever stopped the chunks stops the upload
            if self.error is None:
                self.error = exc
            raise _SourceFailed("the chunks stopped with an error") from None
        finally:
            self._waiting = None
        if chunk is None:
            self._eof = True
            return b""
        self.size += len(chunk)
        return bytes(chunk)  # the SDK takes bytes only (not bytearray or memoryview)

    def cancel(self) -> None:
        """From the event loop: the next read fails, and a read waiting for a chunk stops waiting."""
        with self._lock:
            self._cancelled = True
            if self._waiting is not None:
                self._waiting.cancel()


async def _next_or_none(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


def _check_key(key: str) -> None:
    if not _KEY_RE.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid object key {key!r}")

