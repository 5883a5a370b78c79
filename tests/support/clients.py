"""Real clients for tests: HTTP (httpx) and Socket.IO (python-socketio's AsyncClient)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import socketio

from server.realtime.fanout import PUSHES as FANOUT_PUSHES
from tests.support.logscan import remember_texts
from tests.support.server import ServerProcess

CALL_TIMEOUT_SECS = 10  # every wait in a test is bounded


def uid(prefix: str) -> str:
    """A user id unique to one test, so tests share one server without colliding."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def without_request_id(error: dict[str, Any]) -> dict[str, Any]:
    """An error body without its ``request_id`` (a fresh one each time), checked to be there."""
    rest = dict(error)
    request_id = rest.pop("request_id", None)
    assert isinstance(request_id, str) and len(request_id) == 16, error
    return rest


@dataclass
class Person:
    id: str
    role: str
    token: str
    name: str = ""


class Api:
    """REST calls as one person."""

    def __init__(self, server: ServerProcess, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=server.url + "/api/v1", headers=headers,
                                       timeout=CALL_TIMEOUT_SECS)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        remember_texts([kwargs.get("json"), kwargs.get("params")])  # tests.support.logscan looks for them
        return await self._http.request(method, path, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        remember_texts(kwargs.get("params"))
        return await self._http.get(path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        remember_texts(json)
        return await self._http.post(path, json=json, **kwargs)

    async def patch(self, path: str, json: Any = None) -> httpx.Response:
        remember_texts(json)
        return await self._http.patch(path, json=json)

    async def delete(self, path: str) -> httpx.Response:
        return await self._http.delete(path)


PUSHES = ("chat:message", "chat:message_edited", "chat:message_deleted", "chat:typing", "presence:update",
          "room:unread", "forum:thread_created", "forum:post_created", "forum:post_edited", "forum:post_deleted",
          "forum:thread_updated", "mail:received", "mail:unread", "mail:removed")
PUSHES += tuple(name for name in FANOUT_PUSHES if name not in PUSHES)  # every push the server may send


class Realtime:
    """A connected Socket.IO client with awaited acks and a record of every push it received.

    To show that a push did not arrive, wait for a later one that must follow it (a marker) and
    look at what came before the marker (:meth:`before`): one connection receives in the order
    the server sent, so a push sent before the marker has arrived by then. An ack is a marker
    too, for pushes from the same instance: the client handles what arrived before an ack first.
    """

    def __init__(self, client: socketio.AsyncClient) -> None:
        self.sio = client
        self.pushes: dict[str, list[Any]] = {name: [] for name in PUSHES}
        self.arrivals: list[tuple[str, Any]] = []  # every push, in the order it arrived
        self._arrived = asyncio.Event()
        for name in PUSHES:
            client.on(name, handler=self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: Any) -> None:
            self.pushes[name].append(data)
            self.arrivals.append((name, data))
            self._arrived.set()
        return record

    def before(self, marker: Any, name: str) -> list[Any]:
        """The pushes named ``name`` that arrived before ``marker`` (a push this client received)."""
        for k, (_, data) in enumerate(self.arrivals):
            if data is marker:
                return [d for n, d in self.arrivals[:k] if n == name]
        raise AssertionError(f"the marker never arrived: {marker!r}")

    async def wait_for(self, name: str, check: Any = None, count: int = 1,
                       timeout: float = CALL_TIMEOUT_SECS) -> list[Any]:
        """Wait until ``count`` pushes named ``name`` (passing ``check``) have arrived; return them."""
        async def until() -> list[Any]:
            while True:
                found = [p for p in self.pushes[name] if check is None or check(p)]
                if len(found) >= count:
                    return found
                self._arrived.clear()
                await self._arrived.wait()
        return await asyncio.wait_for(until(), timeout)

    async def call(self, event: str, payload: Any = None, *extra: Any) -> dict[str, Any]:
        data = (payload, *extra) if extra else payload
        remember_texts(data)  # no log line may hold them (tests.support.logscan)
        if payload is None and not extra:
            return await self.sio.call(event, timeout=CALL_TIMEOUT_SECS)  # type: ignore[no-any-return]
        return await self.sio.call(event, data, timeout=CALL_TIMEOUT_SECS)  # type: ignore[no-any-return]


@asynccontextmanager
async def realtime(server: ServerProcess, token: str | None, *, headers: dict[str, str] | None = None,
                   **auth: Any) -> AsyncIterator[Realtime]:
    """A connected Socket.IO client: ``auth`` is the handshake's besides the token, ``headers`` its HTTP headers."""
    client = socketio.AsyncClient(reconnection=False)
    rt = Realtime(client)
    await client.connect(server.url, auth={"token": token, **auth} if token is not None else auth or None,
                         headers=headers or {}, transports=["websocket"], wait_timeout=CALL_TIMEOUT_SECS)
    try:
        yield rt
    finally:
        await client.disconnect()


async def ok(rt: Realtime, event: str, payload: dict[str, Any]) -> Any:
    """The ack's data of a call that must succeed."""
    ack = await rt.call(event, payload)
    assert ack["ok"], ack
    return ack["data"]


async def until(check: Any, timeout: float = CALL_TIMEOUT_SECS) -> None:
    """Wait until ``check()`` is true, for at most ``timeout`` seconds."""
    async def wait() -> None:
        while not check():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(wait(), timeout)


async def refused(server: ServerProcess, auth: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Connect with ``auth`` (and handshake ``headers``) expecting a refusal; return the connect_error data."""
    client = socketio.AsyncClient(reconnection=False)
    errors: asyncio.Queue[Any] = asyncio.Queue()

    @client.event
    async def connect_error(data: Any) -> None:
        await errors.put(data)

    try:
        await client.connect(server.url, auth=auth, headers=headers or {}, transports=["websocket"],
                             wait_timeout=CALL_TIMEOUT_SECS)
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await client.disconnect()
        raise AssertionError("the connection was accepted")
    data = await asyncio.wait_for(errors.get(), CALL_TIMEOUT_SECS)
    return data  # type: ignore[no-any-return]


@dataclass
class Project:
    """A validated project made through the REST API, with one person per role."""

    id: str
    admin: Person
    partner: Person
    teacher: Person
    pupil: Person
    visitor: Person
    support: Person
    outsider: Person
    spaces: dict[str, str] = field(default_factory=dict)  # "general" | "staff" | "forum" | visibility -> id

    def by_role(self, role: str) -> Person:
        return {"admin": self.admin, "teacher": self.teacher, "pupil": self.pupil, "visitor": self.visitor,
                "support": self.support, "outsider": self.outsider}[role]


async def safeguard(server: ServerProcess, project: Project, **changes: Any) -> dict[str, Any]:
    """Change the project's safeguarding settings as its admin would (``PATCH …/safeguarding``)."""
    async with Api(server, project.admin.token) as api:
        r = await api.request("PATCH", f"/projects/{project.id}/safeguarding", json=changes)
    assert r.status_code == 200, r.text
    settings: dict[str, Any] = r.json()
    return settings


def person(server: ServerProcess, prefix: str, role: str, **claims: Any) -> Person:
    user_id = uid(prefix)
    return Person(user_id, role, server.token(user_id, role, **claims), name=prefix)


async def make_project(server: ServerProcess, *, validate: bool = True) -> Project:
    admin = person(server, "teacher_fr", "teacher", school="École A", country="FR")
    partner = person(server, "teacher_it", "teacher", school="Scuola B", country="IT")
    teacher = person(server, "teacher_pl", "teacher", school="Szkoła C", country="PL")
    pupil = person(server, "pupil", "pupil")
    visitor = person(server, "parent", "visitor")
    support = person(server, "nso", "support")
    outsider = person(server, "stranger", "teacher", school="Elsewhere")
    async with Api(server, admin.token) as api:
        r = await api.post("/projects", {
            "title": "Water in our towns", "subject": "Science", "description": "Rivers and taps",
            "age_min": 10, "age_max": 12, "languages": ["en", "fr", "it"],
            "partners": [{"user_id": partner.id, "display_name": "Giulia", "school": "Scuola B",
                          "country": "IT"}],
        })
        assert r.status_code == 201, r.text
        project_id = r.json()["id"]
    project = Project(project_id, admin, partner, teacher, pupil, visitor, support, outsider)
    if not validate:
        return project
    async with Api(server, support.token) as api:
        r = await api.post(f"/projects/{project_id}/validate")
        assert r.status_code == 200, r.text
    async with Api(server, admin.token) as api:
        for who, role in ((teacher, "teacher"), (pupil, "pupil"), (visitor, "visitor")):
            r = await api.post(f"/projects/{project_id}/members",
                               {"user_id": who.id, "role": role, "display_name": who.name})
            assert r.status_code == 201, r.text
        r = await api.get(f"/projects/{project_id}/spaces")
        for space in r.json():
            project.spaces[space["default_key"] or space["id"]] = space["id"]
        r = await api.post(f"/projects/{project_id}/spaces", {"name": "Open day", "visibility": "visitors"})
        assert r.status_code == 201, r.text
        project.spaces["open"] = r.json()["id"]
    return project
