"""A real Twinspace server in a child process, on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt

from tests.support.logscan import RUN_DIR, remember

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECS = 30  # a cold start imports everything and migrates the database
STOP_TIMEOUT_SECS = 15


def keep_log(result: subprocess.CompletedProcess[str], command: str) -> subprocess.CompletedProcess[str]:
    """A finished ``twinspace`` command's stderr, its log, kept in the run's folder of logs for the scan
    (stdout is not a log: ``twinspace token`` prints a token there)."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    (RUN_DIR / f"pytest-cli-{command}-{uuid.uuid4().hex[:8]}.log").write_text(result.stderr or "")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``twinspace serve`` with its own data folder; start, stop, kill and start again."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.args = args
        self.env = env or {}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        # In the run's folder of logs, which tests.support.logscan scans at the end of bin/test.
        self.log_path = RUN_DIR / f"pytest-{data_dir.parent.name}-{data_dir.name}-{uuid.uuid4().hex[:8]}.log"

    @property
    def objects_url(self) -> str | None:
        """The ``--objects-url`` this server was given (None: the local default)."""
        args = list(self.args)
        return args[args.index("--objects-url") + 1] if "--objects-url" in args else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "server", *args]

    def start(self) -> ServerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWINSPACE_")}
        env.update(self.env)
        self._remember_secrets(env)
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command("serve", "--host", "127.0.0.1", "--port", str(self.port),
                         "--data-dir", str(self.data_dir), *self.args),
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    if (self.data_dir / "jwt-secret").exists():
                        remember("secret", self.secret)
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not become ready in {START_TIMEOUT_SECS}s:\n{self.log()}")

    def _remember_secrets(self, env: dict[str, str]) -> None:
        """The secrets this server is given: no log line may hold them (tests.support.logscan)."""
        args = list(self.args)
        for flag, variable in (("--admin-token", "TWINSPACE_ADMIN_TOKEN"), ("--jwt-secret", "TWINSPACE_JWT_SECRET")):
            if flag in args[:-1]:
                remember("secret", args[args.index(flag) + 1])
            if env.get(variable):
                remember("secret", env[variable])

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(STOP_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_SECS)
            raise

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_SECS)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def secret(self) -> str:
        return (self.data_dir / "jwt-secret").read_text().strip()

    def token(self, user_id: str, role: str, *, name: str | None = None, school: str = "",
              country: str | None = None, lang: str | None = "en", ttl: timedelta = timedelta(minutes=30),
              **extra: Any) -> str:
        """A token signed with the server's secret; ``lang=None`` leaves the claim out."""
        now = int(time.time())
        claims: dict[str, Any] = {"sub": user_id, "name": name or user_id, "role": role,
                                  "iss": "twinspace", "aud": "twinspace", "iat": now,
                                  "exp": now + int(ttl.total_seconds())}
        if lang is not None:
            claims["lang"] = lang
        if school:
            claims["school"] = school
        if country:
            claims["country"] = country
        claims.update(extra)
        return jwt.encode(claims, self.secret, algorithm="HS256")
