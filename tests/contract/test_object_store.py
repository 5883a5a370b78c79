"""The ObjectStore contract: every object adapter keeps bytes the same way.

Runs against the local folder and against a real S3 service (OpenStack
Swift's S3 API, started by the ``s3_url`` fixture), each test in a bucket of
its own. The S3-only tests at the end cover presigned URLs, bucket creation
and an endpoint that is down.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
import subprocess
import sys
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from minio import Minio

import storage
from rooms.errors import NotFound, Unavailable
from rooms.filenames import content_disposition
from rooms.ports import ObjectStore
from server.settings import SettingsError, load
from storage.objects.localfs import LocalObjectStore
from storage.objects.s3 import PART_BYTES, S3ObjectStore, parse_s3_url
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, url_for, with_bucket
from tests.support.server import REPO, free_port, keep_log

# The first S3 test of a run may install Swift's packages (tests/support/swift-s3.sh).
pytestmark = pytest.mark.timeout(600)

Opener = Callable[[], AbstractAsyncContextManager[ObjectStore]]
MiB = 1024 * 1024
WAIT_SECS = 30  # the longest any step here may wait for another


def _local(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    return lambda: storage.open_objects(f"file://{tmp_path / 'objects'}")


def _s3(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    url = with_bucket(request.getfixturevalue("s3_url"), new_bucket())
    return lambda: storage.open_objects(url)


ADAPTERS = {"local": _local, "s3": _s3}


def new_bucket() -> str:
    return f"contract-{secrets.token_hex(6)}"


@pytest.fixture(params=sorted(ADAPTERS))
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    return ADAPTERS[request.param](request, tmp_path)


@pytest.fixture
async def store(opener: Opener) -> AsyncIterator[ObjectStore]:
    async with opener() as s:
        yield s


def key() -> str:
    return f"prj_{secrets.token_hex(4)}/fil_{secrets.token_hex(6)}"


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at:at + size]


async def read_all(store: ObjectStore, k: str, start: int = 0, end: int | None = None) -> bytes:
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in store.get(k, start, end)])
    return await asyncio.wait_for(collect(), WAIT_SECS)


class Random:
    """Pseudo-random bytes made in chunks of uneven sizes, with their SHA-256."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self.size = size
        self.seed = seed

    async def chunks(self) -> AsyncIterator[bytes]:
        rng = random.Random(self.seed)
        left = self.size
        while left:
            chunk = rng.randbytes(min(left, rng.randint(1, 300_000)))
            left -= len(chunk)
            yield chunk

    async def sha256(self) -> str:
        digest = hashlib.sha256()
        async for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()


async def sha256_of(store: ObjectStore, k: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    async for chunk in store.get(k):
        assert len(chunk) <= 256 * 1024  # streamed, not read whole
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


# -- every adapter ---------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", ("Hello, Twinspace! é ✓\n" * 45)[:1000].encode()], ids=["empty", "1kb-text"])
async def test_small_objects_round_trip_byte_exact(store: ObjectStore, data: bytes) -> None:
    k = key()
    assert await store.put(k, chunks_of(data, 100), "text/plain; charset=utf-8") == len(data)
    assert await store.exists(k)
    assert await read_all(store, k) == data


async def test_25_mb_of_random_bytes_round_trip_byte_exact(store: ObjectStore) -> None:
    k, data = key(), Random(25 * MiB + 3)
    size = await asyncio.wait_for(store.put(k, data.chunks(), "application/octet-stream"), WAIT_SECS * 2)
    assert size == data.size
    assert await asyncio.wait_for(sha256_of(store, k), WAIT_SECS * 2) == (await data.sha256(), data.size)


# What a put may hold at once, whatever the file's size: the local store a chunk or two, the S3
# store three 5 MiB parts (the SDK keeps the part it sent while it reads the next one, then copies
# that one once); 2 MiB over either for the chunks on their way (these are up to 300 kB).
HELD_BYTES = {LocalObjectStore: 2 * MiB, S3ObjectStore: 3 * PART_BYTES + 2 * MiB}


async def test_a_put_holds_a_constant_few_parts_whatever_the_size(store: ObjectStore) -> None:
    # Traced Python allocations, all threads, during the put only: exact, unlike the process's
    # RSS, which also shows what the allocator keeps (tests/integration/test_files.py).
    data, bound = Random(12 * PART_BYTES + 3), HELD_BYTES[type(store)]
    assert data.size > 3 * bound
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        await asyncio.wait_for(store.put(key(), data.chunks(), "application/octet-stream"), WAIT_SECS * 2)
        held = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert held < bound, f"a {data.size / MiB:.0f} MiB put held {held / MiB:.1f} MiB at once"


async def test_putting_a_key_again_replaces_its_bytes(store: ObjectStore) -> None:
    k = key()
    await store.put(k, chunks_of(b"first version, longer"), "text/plain")
    await store.put(k, chunks_of(b"second"), "text/plain")
    assert await read_all(store, k) == b"second"


async def test_ranges_read_exactly_the_bytes_asked_for(store: ObjectStore) -> None:
    k = key()
    data = random.Random(3).randbytes(700_000)  # a few 256 KiB read chunks
    await store.put(k, chunks_of(data), "application/octet-stream")
    n = len(data)
    for start, end in [(0, 10), (0, 1), (1000, 2000), (n - 1, n), (n - 1, None), (300_000, 300_100),
                       (262_140, 262_150), (262_144, 600_000), (10, None), (0, None), (0, n + 100),
                       (5, 5), (9, 4), (n, None), (n + 5, None), (n + 5, n + 10)]:
        assert await read_all(store, k, start, end) == data[start:end], (start, end)


async def test_a_range_of_an_empty_object_is_empty(store: ObjectStore) -> None:
    k = key()
    await store.put(k, chunks_of(b""), "text/plain")
    assert await read_all(store, k, 0, None) == b""
    assert await read_all(store, k, 3, None) == b""


async def test_exists_delete_and_not_found(store: ObjectStore) -> None:
    k = key()
    assert not await store.exists(k)
    await store.put(k, chunks_of(b"bytes"), "text/plain")
    assert await store.exists(k)
    await store.delete(k)
    assert not await store.exists(k)
    for start, end in [(0, None), (1, 3), (2, 2)]:
        with pytest.raises(NotFound) as caught:
            await read_all(store, k, start, end)
        assert caught.value.code == "file.not_found"
    await store.delete(k)  # absent: nothing happens
    await store.delete(key())


class CutOff(Exception):
    """An upload that stops half-way (the client went away, a limit was hit)."""


async def failing_after(data: Random, limit: int, error: BaseException) -> AsyncIterator[bytes]:
    sent = 0
    async for chunk in data.chunks():
        if sent + len(chunk) > limit:
            raise error
        sent += len(chunk)
        yield chunk


@pytest.mark.parametrize("limit", [100_000, 12 * MiB], ids=["in-the-first-part", "after-two-parts"])
async def test_a_put_whose_chunks_fail_leaves_nothing_and_reraises(store: ObjectStore, limit: int) -> None:
    k, error = key(), CutOff("client went away")
    with pytest.raises(CutOff) as caught:
        await asyncio.wait_for(store.put(k, failing_after(Random(20 * MiB), limit, error), "text/plain"), WAIT_SECS)
    assert caught.value is error
    assert not await store.exists(k)
    with pytest.raises(NotFound):
        await read_all(store, k)


async def test_a_failed_put_keeps_what_the_key_held(store: ObjectStore) -> None:
    k = key()
    await store.put(k, chunks_of(b"kept"), "text/plain")
    with pytest.raises(CutOff):
        await store.put(k, failing_after(Random(8 * MiB), 6 * MiB, CutOff()), "text/plain")
    assert await read_all(store, k) == b"kept"


async def test_a_cancelled_put_leaves_nothing(store: ObjectStore) -> None:
    k, sent, stalled = key(), 0, asyncio.Event()

    async def stalls_after_6_mib() -> AsyncIterator[bytes]:
        nonlocal sent
        async for chunk in Random(8 * MiB).chunks():
            if sent > 6 * MiB:
                stalled.set()
                await asyncio.sleep(3600)  # the client stops sending
            sent += len(chunk)
            yield chunk

    task = asyncio.create_task(store.put(k, stalls_after_6_mib(), "text/plain"))
    await asyncio.wait_for(stalled.wait(), WAIT_SECS)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT_SECS)
    assert not await store.exists(k)


async def test_ping(store: ObjectStore) -> None:
    await store.ping()


async def test_keys_that_could_escape_are_refused(store: ObjectStore) -> None:
    for bad in ["../x", "a/../b", "/abs", "a//b", "a/b/", ""]:
        with pytest.raises(ValueError):
            await store.exists(bad)


async def test_presigned_urls_exist_only_for_s3(store: ObjectStore) -> None:
    k = key()
    await store.put(k, chunks_of(b"x"), "text/plain")
    url = await store.presigned_url(k, 60, "x.txt", "text/plain")
    assert (url is None) == isinstance(store, LocalObjectStore)


# -- S3 only ---------------------------------------------------------------------------------

async def test_presigned_url_serves_the_bytes_until_it_expires(s3_url: str) -> None:
    async with storage.open_objects(with_bucket(s3_url, new_bucket())) as store:
        k, data = key(), random.Random(5).randbytes(300_000)
        await store.put(k, chunks_of(data), "application/pdf")
        url = await store.presigned_url(k, 2, "Résumé de l'été 2024.pdf", "application/pdf")
        assert url is not None
        async with httpx.AsyncClient(timeout=WAIT_SECS) as http:
            answer = await http.get(url)
            assert answer.status_code == 200
            assert answer.content == data
            assert answer.headers["content-type"] == "application/pdf"
            disposition = answer.headers["content-disposition"]
            # The header rooms/filenames.py builds: a presigned answer is not sandboxed, so a PDF is saved.
            assert disposition == content_disposition("Résumé de l'été 2024.pdf", "application/pdf")
            assert disposition.startswith("attachment;")
            assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20de%20l%27%C3%A9t%C3%A9%202024.pdf" in disposition
            assert 'filename="R_sum_ de l\'_t_ 2024.pdf"' in disposition
            await asyncio.sleep(3)  # outlive the URL's 2 seconds: the point
            assert (await http.get(url)).status_code == 403


async def test_opening_a_store_creates_its_bucket(s3_url: str) -> None:
    bucket = new_bucket()
    location = parse_s3_url(with_bucket(s3_url, bucket))
    client = Minio(location.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region=REGION)
    assert not await asyncio.to_thread(client.bucket_exists, bucket)
    async with storage.open_objects(with_bucket(s3_url, bucket)) as store:
        assert await asyncio.to_thread(client.bucket_exists, bucket)
        await store.ping()
    async with storage.open_objects(with_bucket(s3_url, bucket)) as store:  # it exists now: fine too
        await store.ping()


async def test_a_store_whose_bucket_went_away_is_unavailable(s3_url: str) -> None:
    bucket = new_bucket()
    async with storage.open_objects(with_bucket(s3_url, bucket)) as store:
        location = parse_s3_url(with_bucket(s3_url, bucket))
        client = Minio(location.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region=REGION)
        await asyncio.to_thread(client.remove_bucket, bucket)
        with pytest.raises(Unavailable):
            await store.ping()
        with pytest.raises(Unavailable):
            await store.put(key(), chunks_of(b"x"), "text/plain")


async def test_an_unreachable_endpoint_is_unavailable() -> None:
    url = url_for(free_port())  # nothing listens there
    with pytest.raises(Unavailable) as caught:
        async with asyncio.timeout(WAIT_SECS):
            async with storage.open_objects(url):
                pass
    assert caught.value.code == "backend.unavailable"
    assert SECRET_KEY not in str(caught.value.data)
    store = S3ObjectStore(parse_s3_url(url))
    try:
        async with asyncio.timeout(WAIT_SECS):
            with pytest.raises(Unavailable):
                await store.ping()
            with pytest.raises(Unavailable):
                await store.exists(key())
            with pytest.raises(Unavailable):
                await read_all(store, key())
    finally:
        await store.aclose()
        await store.aclose()  # twice is fine
    with pytest.raises(Unavailable):
        await store.ping()  # closed


# -- S3 URLs ---------------------------------------------------------------------------------

def test_s3_urls_are_read_with_their_encoded_credentials() -> None:
    location = parse_s3_url("s3://test%3Atester:se%2Fcret@127.0.0.1:9000/my-bucket?secure=false&region=us-east-1")
    assert (location.endpoint, location.bucket, location.access_key, location.secret_key, location.secure,
            location.region) == ("127.0.0.1:9000", "my-bucket", "test:tester", "se/cret", False, "us-east-1")
    assert "se/cret" not in repr(location)
    other = parse_s3_url("minio://key:secret@s3.example.org/files")
    assert (other.endpoint, other.secure, other.region) == ("s3.example.org", True, None)


@pytest.mark.parametrize(("url", "reason"), [
    ("s3://127.0.0.1:9000/bucket", "access key and secret are missing"),
    ("s3://key@127.0.0.1:9000/bucket", "access key and secret are missing"),
    ("s3://key:secret@127.0.0.1:9000", "bucket is missing"),
    ("s3://key:secret@127.0.0.1:9000/", "bucket is missing"),
    ("s3://key:secret@127.0.0.1:9000/a/b", "not a bucket name"),
    ("s3://key:secret@127.0.0.1:99999/bucket", "port"),
    ("s3://key:secret@/bucket", "host is missing"),
    ("s3://key:secret@h:1/bucket?secure=maybe", "secure=true or secure=false"),
    ("s3://key:secret@h:1/bucket?tls=1", "unknown parameter 'tls'"),
])
def test_bad_s3_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_s3_url(url)
    with pytest.raises(SettingsError) as caught:
        load({"objects_url": url}, {})
    assert reason in caught.value.problems[0] and "secret@" not in caught.value.problems[0]


def test_the_server_refuses_a_bad_s3_url_at_start(tmp_path: Path) -> None:
    result = keep_log(subprocess.run([sys.executable, "-m", "server", "serve", "--data-dir", str(tmp_path),
                                      "--objects-url", "s3://key:hunter2@127.0.0.1:9000/"],
                                     cwd=REPO, capture_output=True, text=True, timeout=WAIT_SECS, check=False), "serve")
    assert result.returncode == 2
    assert "bucket is missing" in result.stderr and "hunter2" not in result.stderr
