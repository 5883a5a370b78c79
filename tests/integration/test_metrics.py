"""``GET /metrics`` on a running server: the series after some chat traffic, and who may scrape them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.realtime.pubsub import LISTEN_PING_SECS, LISTENER_DOWN_SECS, LISTENER_RESUME_SECS
from tests.support.clients import CALL_TIMEOUT_SECS, Api, make_project, realtime, until
from tests.support.redis import RedisServer
from tests.support.server import ServerProcess

TOKEN = "metrics-" + "s3cret-" * 5  # --metrics-token takes at least 32 bytes
CHAT_RATE = 3  # sends per window: the fourth is refused with rate.limited

Samples = list[tuple[str, dict[str, str], float]]


def scrape(server: ServerProcess, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(server.url + "/metrics", headers=headers, timeout=CALL_TIMEOUT_SECS)


def samples(server: ServerProcess) -> Samples:
    r = scrape(server)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(r.text)
            for s in family.samples]


def value(found: Samples, name: str, **labels: str) -> float:
    """The one sample named ``name`` with these labels (0 when there is none: a counter not counted yet)."""
    matching = [v for n, got, v in found if n == name and all(got.get(k) == w for k, w in labels.items())]
    assert len(matching) <= 1, (name, labels, matching)
    return matching[0] if matching else 0.0


async def test_the_series_count_chat_traffic_and_hold_no_personal_data(
        make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--metrics-token", TOKEN, "--chat-rate-messages", str(CHAT_RATE),
                         "--chat-rate-window-secs", "3600").start()
    project = await make_project(server)
    room = project.spaces["general"]
    async with Api(server, project.admin.token) as api:
        r = await api.get(f"/projects/{project.id}")
        assert r.status_code == 200, r.text
        spaces = (await api.get(f"/projects/{project.id}/spaces")).json()
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        for rt in (pupil, teacher):
            assert (await rt.call("room:join", {"room_id": room}))["ok"]
        for n in range(CHAT_RATE):
            ack = await pupil.call("chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": f"hi {n}"})
            assert ack["ok"], ack
        refused = await pupil.call("chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "one more"})
        assert refused["error"]["code"] == "rate.limited", refused
        await teacher.wait_for("chat:message", count=CHAT_RATE)
        found = samples(server)

        assert value(found, "twinspace_connected_sockets") == 2
        assert value(found, "twinspace_rooms_with_members") == 1
        assert value(found, "twinspace_events_total", event="chat:send", outcome="ok") == CHAT_RATE
        assert value(found, "twinspace_events_total", event="chat:send", outcome="rate.limited") == 1
        assert value(found, "twinspace_event_seconds_count", event="chat:send") == CHAT_RATE + 1
        assert value(found, "twinspace_event_seconds_bucket", event="chat:send", le="+Inf") == CHAT_RATE + 1
        assert value(found, "twinspace_event_seconds_sum", event="chat:send") > 0
        assert value(found, "twinspace_events_total", event="room:join", outcome="ok") == 2
        assert value(found, "twinspace_rate_limited_total", limit="chat") == 1
        route = "GET /api/v1/projects/{project_id}"
        assert value(found, "twinspace_http_requests_total", route=route, outcome="ok") == 1
        assert value(found, "twinspace_http_request_seconds_count", route=route) == 1
        assert value(found, "twinspace_http_requests_total", route="POST /api/v1/projects", outcome="ok") == 1
        # Every stored send is one append_message; the refused one never reached the store.
        assert value(found, "twinspace_store_seconds_count", store="documents", method="append_message",
                     outcome="ok") == CHAT_RATE
        assert value(found, "twinspace_store_seconds_count", store="documents", method="get_project",
                     outcome="ok") >= 1
        assert value(found, "twinspace_fanout_publishes_total", event="chat:message") >= CHAT_RATE
        assert value(found, "twinspace_task_runs_total", task="retention", outcome="ok") >= 1
        assert value(found, "twinspace_task_runs_total", task="retention", outcome="failed") == 0
        assert value(found, "twinspace_fanout_listener_silence_seconds") == 0  # no Redis here

        people = [project.admin, project.partner, project.teacher, project.pupil, project.visitor,
                  project.support, project.outsider]
        private = {project.id, *(p.id for p in people), *(p.name for p in people),
                   *(s["id"] for s in spaces), *(s["name"] for s in spaces)}
        leaked = {(n, k, v) for n, labels, _ in found for k, v in labels.items()
                  for word in private if word and word in v}
        assert leaked == set()

    found_after: list[Samples] = []

    def gone() -> bool:
        found_after[:] = [samples(server)]
        return value(found_after[0], "twinspace_connected_sockets") == 0

    await until(gone)
    assert value(found_after[0], "twinspace_rooms_with_members") == 0


def test_metrics_are_refused_without_the_token(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--metrics-token", TOKEN).start()
    for token in (None, "not-the-token", TOKEN + "x"):
        r = scrape(server, token)
        assert r.status_code == 401, (token, r.text)
        assert r.json()["error"]["code"] == "auth.missing"
        assert r.headers["www-authenticate"] == "Bearer"
        assert "twinspace_" not in r.text
    r = httpx.get(server.url + "/metrics", headers={"Authorization": f"Basic {TOKEN}"}, timeout=CALL_TIMEOUT_SECS)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.malformed"
    assert scrape(server).status_code == 200


def test_there_are_no_metrics_unless_asked_for(server: ServerProcess) -> None:
    r = scrape(server)
    assert r.status_code == 404
    body: dict[str, Any] = r.json()
    assert body["error"]["code"] == "request.not_found"


async def test_the_redis_listener_reports_its_silence_and_its_reconnects(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer) -> None:
    server = make_server("--metrics-token", TOKEN, "--fanout-url", redis_server.url).start()

    def silence() -> float:
        return value(samples(server), "twinspace_fanout_listener_silence_seconds")

    def reconnects() -> float:
        return value(samples(server), "twinspace_fanout_listener_reconnects_total")

    assert silence() < LISTENER_DOWN_SECS and reconnects() == 0
    redis_server.stop()
    await until(lambda: silence() > LISTEN_PING_SECS)  # nothing heard: not even its ping answered
    redis_server.start()
    await until(lambda: reconnects() == 1, timeout=LISTENER_RESUME_SECS + CALL_TIMEOUT_SECS)
    assert silence() < LISTENER_DOWN_SECS


async def test_a_connection_over_its_budget_is_counted_once_per_refusal(
        make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--metrics-token", TOKEN, "--connection-requests-per-sec", "1",
                         "--connection-requests-burst", "2").start()
    async with realtime(server, server.token("u_budget", "teacher")) as rt:
        acks = await asyncio.gather(*(rt.call("me:get", {}) for _ in range(6)))
    refused = [a for a in acks if not a["ok"]]
    assert refused and all(a["error"]["code"] == "rate.limited" for a in refused)
    found = samples(server)
    assert value(found, "twinspace_rate_limited_total", limit="connection_rate") == len(refused)
    assert value(found, "twinspace_rate_limited_total", limit="connection_in_flight") == 0


async def test_each_instance_counts_only_what_it_handled(make_server: Callable[..., ServerProcess],
                                                         redis_server: RedisServer, tmp_path: Path) -> None:
    flags = ("--metrics-token", TOKEN, "--fanout-url", redis_server.url)
    a = make_server(*flags, data_dir=tmp_path / "shared").start()  # makes the signing secret, migrates
    b = make_server(*flags, data_dir=tmp_path / "shared").start()
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.pupil.token) as on_a, realtime(b, project.teacher.token) as on_b:
        for rt in (on_a, on_b):
            assert (await rt.call("room:join", {"room_id": room}))["ok"]
        ack = await on_a.call("chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "Hallo!"})
        assert ack["ok"], ack
        await on_b.wait_for("chat:message")
        on_a_found, on_b_found = samples(a), samples(b)
    assert value(on_a_found, "twinspace_events_total", event="chat:send", outcome="ok") == 1
    assert value(on_b_found, "twinspace_events_total", event="chat:send", outcome="ok") == 0
    assert value(on_a_found, "twinspace_store_seconds_count", store="documents", method="append_message",
                 outcome="ok") == 1
    assert value(on_b_found, "twinspace_store_seconds_count", store="documents", method="append_message",
                 outcome="ok") == 0
    assert value(on_a_found, "twinspace_fanout_publishes_total", event="chat:message") >= 1
    assert value(on_b_found, "twinspace_fanout_publishes_total", event="chat:message") == 0
    for found in (on_a_found, on_b_found):  # one connection each, in the same room
        assert value(found, "twinspace_connected_sockets") == 1
        assert value(found, "twinspace_rooms_with_members") == 1
        assert value(found, "twinspace_fanout_listener_silence_seconds") < LISTENER_DOWN_SECS
        # By room: the chat room, the person's own channel and the connection's; the push reached both.
        assert value(found, "twinspace_fanout_hosted_channels") >= 3
    assert value(on_b_found, "twinspace_fanout_received_total") >= 1
    for found in (on_a_found, on_b_found):  # read from the listener's seq order; one sender: none held
        names = {n for n, _, _ in found}
        assert {"twinspace_fanout_held_total", "twinspace_fanout_held_expired_total"} <= names
        assert value(found, "twinspace_fanout_held_total") == value(found, "twinspace_fanout_held_expired_total") == 0


def test_an_instance_is_scraped_by_its_own_address(make_server: Callable[..., ServerProcess]) -> None:
    """Prometheus names each instance by its address, not by the public host name --allowed-hosts lists."""
    server = make_server("--metrics-token", TOKEN, "--public-url", "https://twinspace.example.org").start()
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "twinspace-1.internal:8000"}
    assert httpx.get(server.url + "/metrics", headers=headers, timeout=CALL_TIMEOUT_SECS).status_code == 200
    r = httpx.get(server.url + "/api/v1/openapi.json", headers=headers, timeout=CALL_TIMEOUT_SECS)
    assert r.json()["error"]["code"] == "request.host_not_allowed"  # the API still checks the host
