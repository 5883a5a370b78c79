"""The process: start on the embedded default, stop cleanly, restart with data kept, refuse bad settings."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import websockets

from server.settings import OPTIONS
from tests.support.clients import Api, make_project, realtime
from tests.support.server import REPO, ServerProcess, keep_log

CLI_TIMEOUT_SECS = 60


def twinspace(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TWINSPACE_")}
    return keep_log(subprocess.run([sys.executable, "-m", "server", *args], cwd=REPO, env={**clean, **(env or {})},
                                   capture_output=True, text=True, timeout=CLI_TIMEOUT_SECS), args[0])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_restart_keeps_projects_and_members(make_server: Callable[..., ServerProcess],
                                                  sig: signal.Signals) -> None:
    first = make_server().start()
    project = await make_project(first)
    async with Api(first, project.admin.token) as api:
        members = (await api.get(f"/projects/{project.id}/members")).json()
        spaces = (await api.get(f"/projects/{project.id}/spaces")).json()
    assert first.stop(sig) == 0
    log = first.log()
    assert log.count("stopped; every backend closed") == 1
    assert "Traceback" not in log

    second = make_server(data_dir=first.data_dir)
    second.port = first.port
    second.start()
    async with Api(second, project.admin.token) as api:
        assert (await api.get(f"/projects/{project.id}")).json()["project"]["status"] == "validated"
        assert (await api.get(f"/projects/{project.id}/members")).json() == members
        assert (await api.get(f"/projects/{project.id}/spaces")).json() == spaces
    assert second.stop() == 0


async def test_a_stop_signal_with_clients_connected_closes_them_and_exits_0(
        make_server: Callable[..., ServerProcess]) -> None:
    server = make_server().start()
    project = await make_project(server)
    async with realtime(server, project.pupil.token) as rt:
        gone = asyncio.Event()
        rt.sio.on("disconnect", handler=lambda *reason: gone.set())
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(gone.wait(), CLI_TIMEOUT_SECS)  # the server closed the connection
        assert await asyncio.to_thread(server.stop) == 0
    log = server.log()
    assert log.count("stopped; every backend closed") == 1 and "Traceback" not in log


async def test_sigkill_loses_nothing_committed(make_server: Callable[..., ServerProcess]) -> None:
    first = make_server().start()
    project = await make_project(first)
    first.stop(signal.SIGKILL)
    second = make_server(data_dir=first.data_dir).start()
    async with Api(second, project.admin.token) as api:
        assert len((await api.get(f"/projects/{project.id}/members")).json()) == 5


async def test_embedded_default_layout_and_readiness(server: ServerProcess) -> None:
    assert (server.data_dir / "twinspace.db").is_file()
    assert (server.data_dir / "files").is_dir()
    secret = server.data_dir / "jwt-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) >= 43
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = (await http.get("/readyz")).json()
        assert ready == {"status": "ready", "checks": {"documents": "ok", "objects": "ok", "fanout": "ok",
                                                     "fanout_listener": "ok"}}
        spec = (await http.get("/api/v1/openapi.json")).json()
        assert spec["openapi"].startswith("3.")
        assert "/api/v1/projects/{project_id}/members" in spec["paths"]
        register = spec["paths"]["/api/v1/projects"]["post"]["requestBody"]["content"]["application/json"]
        ref = register["schema"]["$ref"].rsplit("/", 1)[-1]
        assert spec["components"]["schemas"][ref]["additionalProperties"] is False
    assert "Twinspace is serving on " + server.url in server.log()


async def test_readyz_reports_a_broken_backend(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server().start()
    files = proc.data_dir / "files"
    os.chmod(files / ".tmp", 0o500)
    try:
        if os.geteuid() == 0:
            # root ignores permissions: take the folder away instead.
            os.chmod(files / ".tmp", 0o700)
            (files / ".tmp").rename(files / "moved")
            (files / ".tmp").write_text("not a folder")
        r = httpx.get(proc.url + "/readyz", timeout=10)
        assert r.status_code == 503
        assert r.json()["checks"]["objects"] == "unavailable"
        assert httpx.get(proc.url + "/healthz", timeout=10).status_code == 200
    finally:
        os.chmod(files, 0o700)


def test_bad_settings_exit_2_with_one_line_each(tmp_path: Path) -> None:
    result = twinspace("serve", "--port", "99999", "--documents-url", "postgres://db/x",
                       "--data-dir", str(tmp_path), env={"TWINSPACE_WS_COMPRESSION": "maybe",
                                                         "TWINSPACE_LOG_LEVEL": "loud"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 4, result.stderr
    assert any("--port='99999': must be between 0 and 65535" in line for line in lines)
    assert any("--documents-url='postgres://db/x': scheme must be one of sqlite://" in line for line in lines)
    assert any("TWINSPACE_WS_COMPRESSION='maybe'" in line for line in lines)
    assert any("TWINSPACE_LOG_LEVEL='loud'" in line for line in lines)
    assert not (tmp_path / "twinspace.db").exists()


def test_short_secret_is_refused_without_showing_it(tmp_path: Path) -> None:
    result = twinspace("serve", "--data-dir", str(tmp_path), env={"TWINSPACE_JWT_SECRET": "hunter2"})
    assert result.returncode == 2
    assert "hunter2" not in result.stderr and "at least 32 bytes" in result.stderr


def test_serve_help_documents_every_setting() -> None:
    result = twinspace("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for option in OPTIONS:
        assert option.flag in text and option.env in text, option.name


def test_flags_win_over_variables(tmp_path: Path) -> None:
    result = twinspace("token", "--user", "u1", "--name", "U", "--role", "teacher", "--data-dir", str(tmp_path),
                       "--jwt-issuer", "from-flag", env={"TWINSPACE_JWT_ISSUER": "from-env"})
    assert result.returncode == 0, result.stderr
    import jwt

    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["iss"] == "from-flag" and claims["sub"] == "u1" and claims["role"] == "teacher"


async def test_seed_demo_is_idempotent_and_its_tokens_work(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server()
    data = ["--data-dir", str(proc.data_dir), "--port", str(proc.port)]
    first = twinspace("seed-demo", "--json", *data)
    assert first.returncode == 0, first.stderr
    second = twinspace("seed-demo", "--json", *data)
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["project_id"] == two["project_id"] and one["rooms"] == two["rooms"]
    assert one["forum_id"] == two["forum_id"] and one["url"] == proc.url
    assert set(one["users"]) >= {"teacher_fr", "teacher_de", "pupil_fr", "pupil_de", "visitor"}
    proc.start()
    async with Api(proc, two["users"]["teacher_de"]["token"]) as api:
        assert len((await api.get(f"/projects/{one['project_id']}/members")).json()) == 5
    async with realtime(proc, one["users"]["pupil_de"]["token"]) as rt:
        ack = await rt.call("space:list", {"project_id": one["project_id"]})
        ids = {s["id"] for s in ack["data"]}
        assert one["rooms"]["general"] in ids and one["rooms"]["staff"] not in ids
    async with realtime(proc, one["users"]["visitor"]["token"]) as rt:
        ack = await rt.call("project:get", {"project_id": one["project_id"]})
        assert ack["data"]["role"] == "visitor"


async def test_websocket_compression_is_off_by_default(make_server: Callable[..., ServerProcess]) -> None:
    async def negotiated(proc: ServerProcess) -> str | None:
        uri = f"ws://127.0.0.1:{proc.port}/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(uri, compression="deflate", open_timeout=10) as ws:
            return ws.response.headers.get("Sec-WebSocket-Extensions")

    plain = make_server().start()
    assert await negotiated(plain) is None
    deflate = make_server("--ws-compression", "on").start()
    assert "permessage-deflate" in (await negotiated(deflate) or "")


async def test_a_newer_schema_is_refused(make_server: Callable[..., ServerProcess]) -> None:
    import sqlite3

    proc = make_server().start()
    proc.stop()
    with sqlite3.connect(proc.data_dir / "twinspace.db") as db:
        db.execute("PRAGMA user_version=99")
    newer = make_server(data_dir=proc.data_dir)
    with pytest.raises(RuntimeError, match="exited"):
        newer.start()
    assert "cannot start: the sqlite backend is unavailable" in newer.log()
    assert "database schema v99 is newer than this server" in newer.log()
