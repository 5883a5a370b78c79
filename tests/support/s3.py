"""The tests' S3 service: OpenStack Swift with its S3 API, on free loopback ports.

``swift-s3.sh`` beside this file installs Swift from Debian's packages when
they are missing (once per machine, as root or through sudo) and starts its
four servers (proxy with the S3 API, account, container, object), keeping
everything in a folder of its own. ``swift_s3`` starts one, yields its URL and
stops it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

SCRIPT = Path(__file__).with_name("swift-s3.sh")
ACCESS_KEY = "test:tester"  # tempauth's account:user; the S3 secret is its password
SECRET_KEY = "testing"
REGION = "us-east-1"
BUCKET = "twinspace-tests"
# The first start installs the packages: seconds from a warm mirror, minutes from a slow one.
INSTALL_TIMEOUT_SECS = 480
START_TIMEOUT_SECS = 60  # the servers answer within two seconds once installed
STOP_TIMEOUT_SECS = 30
ATTEMPTS = 2  # a port picked as free may be taken before Swift binds it: pick again once


def url_for(port: int, bucket: str = BUCKET) -> str:
    return (f"s3://{quote(ACCESS_KEY, safe='')}:{quote(SECRET_KEY, safe='')}@127.0.0.1:{port}/{bucket}"
            f"?secure=false&region={REGION}")


def with_bucket(url: str, bucket: str) -> str:
    """The same service and credentials, another bucket."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{bucket}"))


def _free_ports(count: int) -> list[int]:
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:  # all bound at once, so the ports differ
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


class SwiftS3:
    """One Swift S3 service, kept in ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self._env: dict[str, str] = {}

    def _run(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), command], env=self._env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, check=False)

    def start(self) -> str:
        problems = []
        for _ in range(ATTEMPTS):
            s3, obj, cont, acc = _free_ports(4)
            self._env = {**os.environ, "SAIO_DIR": str(self.root), "S3_PORT": str(s3), "OBJ_PORT": str(obj),
                         "CONT_PORT": str(cont), "ACC_PORT": str(acc), "START_TIMEOUT": str(START_TIMEOUT_SECS)}
            self.port = s3
            try:
                result = self._run("start", INSTALL_TIMEOUT_SECS + START_TIMEOUT_SECS)
            except subprocess.TimeoutExpired as exc:
                problems.append(f"swift-s3.sh start timed out:\n{exc.stderr}")
                self.stop()
                continue
            if result.returncode == 0 and self._answers():
                return url_for(self.port)
            problems.append(f"swift-s3.sh start exited with {result.returncode}:\n{result.stderr}")
            self.stop()
        raise RuntimeError("the Swift S3 service did not start:\n" + "\n".join(problems))

    def _answers(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthcheck", timeout=2).text == "OK":
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        if self._env:
            result = self._run("stop", STOP_TIMEOUT_SECS)
            if result.returncode != 0:
                raise RuntimeError(f"swift-s3.sh stop exited with {result.returncode}:\n{result.stderr}")


@contextmanager
def swift_s3(root: Path) -> Iterator[str]:
    """A running Swift S3 service; yields its ``s3://`` URL (bucket ``twinspace-tests``)."""
    service = SwiftS3(root)
    url = service.start()
    try:
        yield url
    finally:
        service.stop()
