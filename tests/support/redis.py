"""A real redis-server for tests, on a free loopback port, or a real Redis Cluster of three; installed from Debian's packages when missing.

:class:`RedisServer` is one process; :class:`LocalRedisCluster` is three
``redis-server --cluster-enabled yes`` processes on free loopback ports,
joined (``CLUSTER MEET``) and given a third of the 16,384 slots each
(``CLUSTER ADDSLOTSRANGE``) through redis-py, then waited for until every
node says ``cluster_state:ok``. No replicas: a node stopped takes its slots
with it until it is started again (it keeps its ``nodes.conf``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.server import free_port

INSTALL_TIMEOUT_SECS = 300
START_TIMEOUT_SECS = 20
CLUSTER_TIMEOUT_SECS = 30  # the nodes agree on the slots and say cluster_state:ok within this
SLOTS = 16384


def ensure_installed() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = not policy.exists()
    if made_policy:  # keep the package from starting Debian's own redis service
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"]
        if subprocess.run(install, env=env, capture_output=True, timeout=INSTALL_TIMEOUT_SECS).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=INSTALL_TIMEOUT_SECS,
                           check=True)
            subprocess.run(install, env=env, capture_output=True, timeout=INSTALL_TIMEOUT_SECS, check=True)
    finally:
        if made_policy:
            policy.unlink(missing_ok=True)
    found = shutil.which("redis-server")
    assert found, "redis-server could not be installed"
    return found


class RedisServer:
    """One redis-server process without persistence; stop and start it again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.binary = ensure_installed()
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def extra_args(self) -> list[str]:
        return []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "redis.log", "ab")
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
                                      *self.extra_args()],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        """Stop the process without closing its connections (SIGSTOP): a Redis that no longer answers."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class ClusterNode(RedisServer):
    """One master of a :class:`LocalRedisCluster`: cluster mode, its bus on a free port of its own."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.bus_port = free_port()

    def extra_args(self) -> list[str]:
        return ["--cluster-enabled", "yes", "--cluster-port", str(self.bus_port),
                "--cluster-config-file", str(self.workdir / "nodes.conf"), "--cluster-node-timeout", "5000"]


class LocalRedisCluster:
    """A real Redis Cluster of three masters on loopback ports, each serving a third of the slots."""

    def __init__(self, workdir: Path, masters: int = 3) -> None:
        self.nodes = [ClusterNode(workdir / f"node{k}") for k in range(masters)]

    @property
    def url(self) -> str:
        """Twinspace's cluster URL: every node as a seed."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> LocalRedisCluster:
        import redis

        try:
            for node in self.nodes:
                node.start()
            clients = [redis.Redis(port=n.port, socket_timeout=START_TIMEOUT_SECS) for n in self.nodes]
            try:
                first = clients[0]
                for node in self.nodes[1:]:
                    first.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, node.bus_port)
                step = SLOTS // len(self.nodes)
                for k, client in enumerate(clients):
                    last = SLOTS - 1 if k == len(clients) - 1 else (k + 1) * step - 1
                    client.execute_command("CLUSTER", "ADDSLOTSRANGE", k * step, last)
                self._until_ok(clients)
            finally:
                for client in clients:
                    client.close()
        except BaseException:
            self.stop()
            raise
        return self

    def _until_ok(self, clients: list[Any]) -> None:
        deadline = time.monotonic() + CLUSTER_TIMEOUT_SECS
        while time.monotonic() < deadline:
            if all(self._ok(c) for c in clients):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the Redis Cluster did not reach cluster_state:ok within {CLUSTER_TIMEOUT_SECS} s")

    def _ok(self, client: Any) -> bool:
        info = client.execute_command("CLUSTER", "INFO")
        text = info.decode() if isinstance(info, bytes) else str(info)
        fields = dict(line.split(":", 1) for line in text.split() if ":" in line)
        return (fields.get("cluster_state") == "ok" and fields.get("cluster_known_nodes") == str(len(self.nodes))
                and fields.get("cluster_slots_assigned") == str(SLOTS)
                and len(client.execute_command("CLUSTER", "SLOTS")) == len(self.nodes))

    def node_of(self, key: str) -> ClusterNode:
        """The node serving ``key``'s slot (or a channel's, for sharded pub/sub)."""
        from redis.crc import key_slot

        slot = key_slot(key.encode())
        return self.nodes[min(slot // (SLOTS // len(self.nodes)), len(self.nodes) - 1)]

    def flush(self) -> None:
        """Every key gone, on every node, once the nodes agree on the slots (between tests sharing the cluster)."""
        import redis

        clients = [redis.Redis(port=n.port, socket_timeout=START_TIMEOUT_SECS) for n in self.nodes]
        try:
            self._until_ok(clients)
        finally:
            for client in clients:
                client.close()
        for node in self.nodes:
            with redis.Redis(port=node.port, socket_timeout=START_TIMEOUT_SECS) as client:
                client.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
