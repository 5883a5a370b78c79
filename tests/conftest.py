from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.redis import LocalRedisCluster, RedisServer
from tests.support.s3 import swift_s3
from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server on the embedded default, shared by the tests that only add data.

    Its chat, chat edit, forum and mail rate limits are raised: tests send faster than people
    type, and the limits themselves are tested on servers of their own.
    """
    proc = ServerProcess(tmp_path_factory.mktemp("shared") / "data", "--chat-rate-messages", "10000",
                         "--chat-edit-rate", "10000", "--forum-rate-posts", "10000",
                         "--mail-rate-messages", "10000").start()
    yield proc
    proc.stop()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Servers of one test's own, stopped (or killed) at its end."""
    made: list[ServerProcess] = []

    def make(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> ServerProcess:
        proc = ServerProcess(data_dir or tmp_path / f"data{len(made)}", *args, env=env)
        made.append(proc)
        return proc

    yield make
    for proc in made:
        proc.kill()


@pytest.fixture(scope="session")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An S3 service for the session: OpenStack Swift's S3 API on free loopback ports.

    The first use on a machine installs Swift's Debian packages (tests/support/swift-s3.sh).
    The URL names the bucket ``twinspace-tests``; see ``tests.support.s3.with_bucket`` for others.
    """
    with swift_s3(tmp_path_factory.mktemp("swift-s3")) as url:
        yield url


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of one test's own (so that a test may stop and restart it)."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedisCluster]:
    """A real Redis Cluster of three masters for the session (started on first use); ``flush()`` empties it."""
    cluster = LocalRedisCluster(tmp_path_factory.mktemp("redis-cluster")).start()
    yield cluster
    cluster.stop()
