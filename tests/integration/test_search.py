"""Search against a running server, over Socket.IO and REST: words found case and accents aside in every
script; nothing from the staff room, another project or another person's mail ever in a pupil's answer;
edits, deletions and retention followed; snippets escaped; forum, mail and files; filters and pages;
refusals in the user's language; ``twinspace reindex`` finding the same."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.integration.test_files import upload
from tests.integration.test_retention import _age
from tests.support.clients import Api, make_project, ok, realtime
from tests.support.server import REPO, ServerProcess, keep_log

WAIT_SECS = 20  # the retention sweep runs every second here


def word() -> str:
    """A word found nowhere else (letters only: digits would be words of their own)."""
    return "zq" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:12])


async def send(server: ServerProcess, token: str, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with realtime(server, token) as rt:
        data: dict[str, Any] = await ok(rt, event, payload)
    return data


async def say(server: ServerProcess, token: str, room: str, text: str) -> dict[str, Any]:
    return await send(server, token, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": text})


async def find(server: ServerProcess, token: str, project_id: str, q: str, **params: Any) -> dict[str, Any]:
    """A search over REST; the answer (200 expected)."""
    async with Api(server, token) as api:
        r = await api.get(f"/projects/{project_id}/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


def ids(page: dict[str, Any]) -> list[str]:
    return [r["id"] for r in page["results"]]


async def test_accents_case_and_every_script(server: ServerProcess) -> None:
    project = await make_project(server)
    room, pupil = project.spaces["general"], project.pupil.token
    fr = await say(server, pupil, room, "Les élèves de Lyon ont visité le Rhône.")
    de = await say(server, project.teacher.token, room, "Wir fahren nach München, über die Brücke!")
    el = await say(server, pupil, room, "Ο ποταμός είναι μεγάλος")
    ru = await say(server, pupil, room, "Наша река очень длинная")
    for q, expected in (("eleves", fr), ("élèves", fr), ("ELEVES", fr), ("Rhone", fr), ("munchen", de),
                        ("München", de), ("uber brucke", de), ("ποταμος", el), ("ΠΟΤΑΜΌΣ", el), ("река", ru),
                        ("РЕКА", ru)):
        assert ids(await find(server, pupil, project.id, q)) == [expected["id"]], q
    async with realtime(server, pupil) as rt:  # the same over Socket.IO
        page = await ok(rt, "search:query", {"project_id": project.id, "q": "ELEV"})
    assert ids(page) == [fr["id"]] and page["results"][0]["snippet_html"].count("<mark>") == 1
    assert ids(await find(server, pupil, project.id, "elev ")) == []  # a trailing space: whole words only


async def test_a_pupil_never_sees_the_staff_room_another_project_or_anothers_mail(server: ServerProcess) -> None:
    project = await make_project(server)
    other = await make_project(server)
    async with Api(server, other.admin.token) as api:  # the pupil's teacher joins the other project...
        r = await api.post(f"/projects/{other.id}/members", {"user_id": project.admin.id, "role": "admin",
                                                              "display_name": "Claire"})
        assert r.status_code == 201, r.text
    async with Api(server, project.admin.token) as api:  # ... and brings the pupil: a member of both
        r = await api.post(f"/projects/{other.id}/members", {"user_id": project.pupil.id, "role": "pupil",
                                                              "display_name": "Léa"})
        assert r.status_code == 201, r.text
    planted = {name: word() for name in ("staff", "other", "mail", "hidden", "file")}
    await say(server, project.teacher.token, project.spaces["staff"], f"staff only {planted['staff']}")
    await say(server, other.pupil.token, other.spaces["general"], f"elsewhere {planted['other']}")
    await send(server, project.admin.token, "mail:send", {
        "project_id": project.id, "to": [project.teacher.id], "subject": f"about {planted['mail']}",
        "body": f"between teachers {planted['mail']}"})
    hidden = await say(server, project.teacher.token, project.spaces["general"], f"hidden {planted['hidden']}")
    await send(server, project.teacher.token, "chat:hide", {"room_id": project.spaces["general"],
                                                            "message_id": hidden["id"], "hidden": True})
    await say(server, project.teacher.token, project.spaces["open"], "open day")
    staff_upload = (await upload(server, project.teacher.token, project.id, f"{planted['file']}.txt", b"x")).json()
    await send(server, project.teacher.token, "chat:send", {
        "room_id": project.spaces["staff"], "client_id": uuid.uuid4().hex, "text": "see attached",
        "attachments": [staff_upload["id"]]})
    await send(server, project.teacher.token, "forum:thread_create", {
        "forum_id": project.spaces["forum"], "title": "fine", "body": "a thread the pupil may read"})
    for name, planted_word in planted.items():
        for q in (planted_word, planted_word[:5], f"{planted_word[:4]}"):
            for order in ("newest", "best"):
                async with Api(server, project.pupil.token) as api:
                    r = await api.get(f"/projects/{project.id}/search", params={"q": q, "order": order})
                assert r.status_code == 200 and planted_word not in r.text, (name, q, r.text)
                assert r.json()["results"] == [], (name, r.text)
            async with realtime(server, project.pupil.token) as rt:
                ack = await rt.call("search:query", {"project_id": project.id, "q": q})
            assert ack["ok"] and planted_word not in json.dumps(ack, ensure_ascii=False), (name, ack)
    # What the pupil may not search, the staff do: the words were planted where they think.
    staff_sees = await find(server, project.admin.token, project.id, planted["staff"])
    assert [r["space_id"] for r in staff_sees["results"]] == [project.spaces["staff"]]
    assert ids(await find(server, project.teacher.token, project.id, planted["mail"]))  # the recipient's copy
    assert ids(await find(server, project.admin.token, project.id, planted["hidden"]))  # a moderator's view
    assert ids(await find(server, project.teacher.token, project.id, planted["file"])) == [staff_upload["id"]]
    async with Api(server, project.pupil.token) as api:
        r = await api.get(f"/projects/{project.id}/search", params={"q": "staff",
                                                                    "space_id": project.spaces["staff"]})
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied"
        r = await api.get(f"/projects/{project.id}/search", params={"q": "x",
                                                                    "space_id": other.spaces["general"]})
        assert r.status_code == 404 and r.json()["error"]["code"] == "room.not_found"
    async with Api(server, project.outsider.token) as api:
        r = await api.get(f"/projects/{project.id}/search", params={"q": "fine"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "project.not_found"
    visitor = await find(server, project.visitor.token, project.id, "open")  # visitors: their rooms only
    assert [r["space_id"] for r in visitor["results"]] == [project.spaces["open"]]
    assert (await find(server, project.visitor.token, project.id, "thread"))["results"] == []


async def test_edits_deletions_and_escaping_follow(server: ServerProcess) -> None:
    project = await make_project(server)
    room, pupil = project.spaces["general"], project.pupil.token
    old, new = word(), word()
    sent = await say(server, pupil, room, f"first {old}")
    await send(server, pupil, "chat:edit", {"room_id": room, "message_id": sent["id"], "text": f"second {new}"})
    assert ids(await find(server, pupil, project.id, old)) == []
    assert ids(await find(server, pupil, project.id, new)) == [sent["id"]]
    gone = word()
    deleted = await say(server, pupil, room, f"regret {gone}")
    await send(server, pupil, "chat:delete", {"room_id": room, "message_id": deleted["id"]})
    page = await find(server, pupil, project.id, gone)
    assert page["results"] == [] and gone not in json.dumps(page)
    tag = word()
    await say(server, pupil, room, f"<script>alert('{tag}')</script> <b>bold</b>")
    (found,) = (await find(server, pupil, project.id, tag))["results"]
    snippet = found["snippet_html"]
    assert "<script>" not in snippet and "<b>" not in snippet
    assert snippet.startswith("&lt;script&gt;alert(&#x27;<mark>") and "&lt;b&gt;bold&lt;/b&gt;" in snippet


async def test_forum_own_mail_and_file_names_filters_and_pages(server: ServerProcess) -> None:
    project = await make_project(server)
    forum, room, pupil = project.spaces["forum"], project.spaces["general"], project.pupil.token
    key = word()
    thread = await send(server, pupil, "forum:thread_create", {"forum_id": forum, "title": f"Survey {key}",
                                                               "body": "Answer the questions"})
    post = await send(server, project.teacher.token, "forum:post_create", {"thread_id": thread["id"],
                                                                            "body": f"My answer on {key}"})
    mail = (await send(server, project.teacher.token, "mail:send", {
        "project_id": project.id, "to": [project.pupil.id], "subject": f"Excursion {key}",
        "body": "Bring boots"}))["mail"]
    file = (await upload(server, pupil, project.id, f"Rapport_{key}.pdf", b"%PDF-1.4 x")).json()
    messages = [await say(server, pupil if k % 2 else project.teacher.token, room, f"{key} number {k}")
                for k in range(5)]
    page = await find(server, pupil, project.id, key, limit=50)
    by_kind = {r["kind"]: r for r in page["results"]}
    assert sorted(by_kind) == ["file", "mail", "message", "post", "thread"]
    assert by_kind["thread"]["id"] == thread["id"] and by_kind["thread"]["title"] == f"Survey {key}"
    assert by_kind["post"]["id"] == post["id"] and by_kind["post"]["thread_id"] == thread["id"]
    assert by_kind["mail"]["id"] == mail["id"] and by_kind["mail"]["title"] == f"Excursion {key}"
    assert by_kind["file"]["id"] == file["id"] and by_kind["file"]["title"] == f"Rapport_{key}.pdf"
    assert ids(await find(server, pupil, project.id, "boots", kinds="mail")) == [mail["id"]]
    assert sorted(r["kind"] for r in (await find(server, pupil, project.id, key, kinds="thread,post"))["results"]) \
        == ["post", "thread"]
    async with Api(server, pupil) as api:  # kinds repeated
        r = await api.get(f"/projects/{project.id}/search?q={key}&kinds=file&kinds=mail")
    assert sorted(r["kind"] for r in r.json()["results"]) == ["file", "mail"]
    newest_first = [m["id"] for m in reversed(messages)]
    assert ids(await find(server, pupil, project.id, key, kinds="message")) == newest_first
    assert ids(await find(server, pupil, project.id, key, kinds="message", author_id=project.pupil.id)) == \
        [messages[3]["id"], messages[1]["id"]]
    assert ids(await find(server, pupil, project.id, key, space_id=forum)) == [post["id"], thread["id"]]
    assert ids(await find(server, pupil, project.id, key, kinds="message", since=messages[2]["created_at"],
                          until=messages[4]["created_at"])) == [messages[3]["id"], messages[2]["id"]]
    first = await find(server, pupil, project.id, key, kinds="message", limit=3)
    assert ids(first) == newest_first[:3] and first["next_cursor"]
    second = await find(server, pupil, project.id, key, kinds="message", limit=3, cursor=first["next_cursor"])
    assert ids(second) == newest_first[3:] and second["next_cursor"] is None
    best = await find(server, pupil, project.id, key, kinds="message", order="best", limit=3)
    rest = await find(server, pupil, project.id, key, kinds="message", order="best", limit=3,
                      cursor=best["next_cursor"])
    assert sorted(ids(best) + ids(rest)) == sorted(newest_first)
    async with Api(server, pupil) as api:
        r = await api.get(f"/projects/{project.id}/search", params={"q": key, "cursor": best["next_cursor"]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid"  # a best cursor for newest
        r = await api.get(f"/projects/{project.id}/search", params={"q": key, "kinds": "everything"})
        assert r.status_code == 400
    french = server.token(project.pupil.id, "pupil", lang="fr")
    async with Api(server, french) as api:
        r = await api.get(f"/projects/{project.id}/search", params={"q": "?!"})
        assert r.status_code == 400 and r.json()["error"]["message"] == "Requête invalide : vérifiez « q »."
        r = await api.get(f"/projects/{project.id}/search", params={"q": "x", "space_id": project.spaces["staff"]})
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied"
    async with realtime(server, french) as rt:
        ack = await rt.call("search:query", {"project_id": project.id, "q": "  "})
    assert not ack["ok"] and ack["error"]["code"] == "request.invalid" and "« q »" in ack["error"]["message"]


async def _until(check: Callable[[], Any]) -> None:
    deadline = time.monotonic() + WAIT_SECS
    while not await check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.2)


async def test_an_expired_message_is_not_found(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--retention-sweep-secs", "1").start()
    project = await make_project(server)
    room, pupil = project.spaces["general"], project.pupil.token
    old, kept = word(), word()
    expiring = await say(server, pupil, room, f"long ago {old}")
    await say(server, pupil, room, f"today {kept}")
    assert ids(await find(server, pupil, project.id, old)) == [expiring["id"]]
    async with Api(server, project.admin.token) as api:
        r = await api.patch(f"/projects/{project.id}/settings", {"chat_retention_days": 30})
        assert r.status_code == 200, r.text
    _age(server, "messages", f"id = '{expiring['id']}'", 120)

    async def expired() -> bool:
        return not ids(await find(server, pupil, project.id, old))

    await _until(expired)
    assert len(ids(await find(server, pupil, project.id, kept))) == 1


async def test_reindex_rebuilds_an_index_that_finds_the_same(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server().start()
    project = await make_project(server)
    key = word()
    pupil, room = project.pupil.token, project.spaces["general"]
    for k, text in enumerate(("Les élèves", "München", "ποταμός", "река")):
        await say(server, pupil if k % 2 else project.teacher.token, room, f"{key} {text}")
    await say(server, project.teacher.token, project.spaces["staff"], f"{key} staff")
    await send(server, pupil, "forum:thread_create", {"forum_id": project.spaces["forum"], "title": f"{key} t",
                                                      "body": "b"})
    await send(server, project.teacher.token, "mail:send", {"project_id": project.id, "to": [project.pupil.id],
                                                            "subject": key, "body": "munchen"})
    await upload(server, pupil, project.id, f"{key}.txt", b"x")
    queries = [(token, q, order) for token in (pupil, project.admin.token)
               for q in (key, "munchen", "ποταμος", "eleves") for order in ("newest", "best")]

    async def answers() -> list[dict[str, Any]]:
        return [await find(server, token, project.id, q, order=order, limit=50) for token, q, order in queries]

    before = await answers()
    assert len(before[0]["results"]) == 7  # four messages, the thread, the mail, the file: not the staff room
    done = keep_log(subprocess.run([sys.executable, "-m", "server", "reindex", "--data-dir", str(server.data_dir)],
                                   cwd=REPO, env={k: v for k, v in os.environ.items() if not k.startswith("TWINSPACE_")},
                                   capture_output=True, text=True, timeout=120, check=False), "reindex")
    assert done.returncode == 0, done.stderr
    assert "reindexed" in done.stderr and "message: " in done.stderr and "items/s" in done.stderr
    assert await answers() == before
