"""Walk every role x action x visibility of the permission table against the running server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from rooms import policy
from tests.support.clients import Api, Person, Project, make_project, realtime, uid
from tests.support.server import ServerProcess

DENIED = {"permission.denied", "project.not_found", "room.not_found", "file.not_found"}
SPACE_OF_VISIBILITY = {"members": "general", "teachers": "staff", "visitors": "open"}

Probe = Callable[[ServerProcess, Project, str, str], Awaitable[str | None]]


async def _rest(server: ServerProcess, token: str, method: str, path: str, body: object = None) -> str | None:
    """None when the policy let the call through, else the error code."""
    async with Api(server, token) as api:
        r = await api.request(method, path, json=body)
    if r.status_code < 400:
        return None
    code: str = r.json()["error"]["code"]
    return code if code in DENIED else None  # e.g. project.bad_state: allowed, but not in this state


async def _event(server: ServerProcess, token: str, event: str, payload: dict[str, object]) -> str | None:
    async with realtime(server, token) as rt:
        ack = await rt.call(event, payload)
    if ack["ok"]:
        return None
    code: str = ack["error"]["code"]
    return code if code in DENIED else None


async def _send(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    room = project.spaces[SPACE_OF_VISIBILITY[visibility]]
    return await _event(server, token, "chat:send", {"room_id": room, "client_id": uid("c"), "text": "hello"})


async def _moderate(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    room = project.spaces[SPACE_OF_VISIBILITY[visibility]]
    async with realtime(server, project.partner.token) as rt:  # someone else's message
        ack = await rt.call("chat:send", {"room_id": room, "client_id": uid("c"), "text": "to moderate"})
        assert ack["ok"], ack
    return await _event(server, token, "chat:delete", {"room_id": room, "message_id": ack["data"]["id"]})


async def _upload(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    async with Api(server, token) as api:
        r = await api.request("POST", f"/projects/{project.id}/files", params={"name": "notes.txt"},
                              content=b"Our notes")
    if r.status_code < 400:
        return None
    code: str = r.json()["error"]["code"]
    return code if code in DENIED else None


async def _delete_file(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    """Delete a file someone else shared in the room visitors may read too."""
    async with Api(server, project.partner.token) as api:
        r = await api.request("POST", f"/projects/{project.id}/files", params={"name": "plan.txt"},
                              content=b"The plan")
        file_id = r.json()["id"]
    async with realtime(server, project.partner.token) as rt:
        ack = await rt.call("chat:send", {"room_id": project.spaces["open"], "client_id": uid("c"),
                                          "text": "the plan", "attachments": [file_id]})
        assert ack["ok"], ack
    return await _rest(server, token, "DELETE", f"/files/{file_id}")


async def _edit_own(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    """Edit one's own message: allowed where one may write (others' messages are never editable)."""
    room = project.spaces[SPACE_OF_VISIBILITY[visibility]]
    async with realtime(server, token) as rt:
        sent = await rt.call("chat:send", {"room_id": room, "client_id": uid("c"), "text": "mine"})
        if not sent["ok"]:
            return str(sent["error"]["code"]) if sent["error"]["code"] in DENIED else None
        ack = await rt.call("chat:edit", {"room_id": room, "message_id": sent["data"]["id"], "text": "mine, edited"})
    return None if ack["ok"] else (str(ack["error"]["code"]) if ack["error"]["code"] in DENIED else None)


async def _delete_own_file(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    async with Api(server, token) as api:
        r = await api.request("POST", f"/projects/{project.id}/files", params={"name": "mine.txt"},
                              content=b"Mine")
        if r.status_code >= 400:
            code: str = r.json()["error"]["code"]
            return code if code in DENIED else None
    return await _rest(server, token, "DELETE", f"/files/{r.json()['id']}")


async def _remove_mail(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    """Remove a pupil's mail (supervised) from every copy; someone who may not learn it exists gets mail.not_found."""
    async with Api(server, project.pupil.token) as api:
        r = await api.post("/mail", {"project_id": project.id, "to": [project.partner.id], "subject": "Hi",
                                     "body": "Hello"})
        assert r.status_code == 201, r.text
        mail_id = r.json()["mail"]["id"]
    async with Api(server, token) as api:
        r = await api.delete(f"/projects/{project.id}/mail/{mail_id}")
    if r.status_code < 400:
        return None
    code: str = r.json()["error"]["code"]
    return code if code in DENIED | {"mail.not_found"} else None
async def _report(server: ServerProcess, project: Project, token: str, visibility: str) -> str | None:
    """Report someone else's message in the room visitors may read too."""
    async with realtime(server, project.partner.token) as rt:
        ack = await rt.call("chat:send", {"room_id": project.spaces["open"], "client_id": uid("c"),
                                          "text": "to report"})
        assert ack["ok"], ack
    return await _rest(server, token, "POST", "/reports", {"kind": "message", "item_id": ack["data"]["id"],
                                                           "room_id": project.spaces["open"], "reason": "spam"})


async def _partners(server: ServerProcess, project: Project, visibility: str, poll: bool = False) -> tuple[str, str]:
    """(room, message id): a message, or a poll, the partner teacher posted in the room of ``visibility``."""
    room = project.spaces[SPACE_OF_VISIBILITY[visibility]]
    async with realtime(server, project.partner.token) as rt:
        if poll:
            ack = await rt.call("chat:poll_create", {"room_id": room, "client_id": uid("c"), "question": "Which?",
                                                     "options": ["Rhine", "Oder"]})
        else:
            ack = await rt.call("chat:send", {"room_id": room, "client_id": uid("c"), "text": "a message"})
        assert ack["ok"], ack
    return room, ack["data"]["id"]


async def _on_message(server: ServerProcess, project: Project, token: str, visibility: str, method: str,
                      what: str, body: dict[str, object] | None = None, poll: bool = False) -> str | None:
    room, message_id = await _partners(server, project, visibility, poll)
    return await _rest(server, token, method, f"/spaces/{room}/messages/{message_id}/{what}", body)


def _p(project: Project) -> str:
    return f"/projects/{project.id}"


def _whose(project: Project, token: str) -> Person:
    """The person of the project whose token this is."""
    return next(person for person in (project.admin, project.partner, project.teacher, project.pupil, project.visitor,
                                      project.support, project.outsider) if person.token == token)


def _someone_else(project: Project, token: str) -> Person:
    """A member other than the prober: the pupil, or the visitor when the pupil probes."""
    return project.visitor if project.pupil.token == token else project.pupil


PROBES: dict[str, Probe] = {
    "project.view": lambda s, p, t, v: _rest(s, t, "GET", _p(p)),
    "project.review": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + "/validate"),
    "project.archive": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + "/archive"),
    "member.list": lambda s, p, t, v: _rest(s, t, "GET", _p(p) + "/members"),
    "member.add_teacher": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + "/members",
                                                   {"role": "teacher", "user_id": uid("t"), "display_name": "T"}),
    "member.add_pupil": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + "/members",
                                                 {"role": "pupil", "display_name": "P"}),
    "member.add_visitor": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + "/members",
                                                   {"role": "visitor", "display_name": "V"}),
    "member.change_role": lambda s, p, t, v: _rest(s, t, "PATCH", _p(p) + f"/members/{p.partner.id}",
                                                   {"role": "teacher"}),
    "member.remove": lambda s, p, t, v: _rest(s, t, "DELETE", _p(p) + f"/members/{p.teacher.id}"),
    "space.create": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + "/spaces", {"name": "New room"}),
    "project.configure": lambda s, p, t, v: _rest(s, t, "PATCH", _p(p) + "/settings", {"chat_retention_days": 30}),
    "mail.send": lambda s, p, t, v: _rest(s, t, "POST", "/mail", {"project_id": p.id, "to": [p.partner.id],
                                                                  "subject": "Hello", "body": "Hi"}),
    "space.read": lambda s, p, t, v: _rest(s, t, "GET", f"/spaces/{p.spaces[SPACE_OF_VISIBILITY[v]]}"),
    "file.upload": _upload,
    "file.moderate": _delete_file,
    "file.delete_own": _delete_own_file,
    "space.edit_own": _edit_own,
    "space.write": _send,
    "space.moderate": _moderate,
    "mail.supervise": lambda s, p, t, v: _rest(s, t, "GET", _p(p) + "/mail/supervised"),
    "mail.moderate": _remove_mail,
    "audit.read": lambda s, p, t, v: _rest(s, t, "GET", _p(p) + "/audit"),
    "member.mute": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + f"/members/{p.pupil.id}/mutes", {"minutes": 5}),
    "project.safeguard": lambda s, p, t, v: _rest(s, t, "PATCH", _p(p) + "/safeguarding", {"word_filter": "block"}),
    "space.configure": lambda s, p, t, v: _rest(s, t, "PATCH", f"/spaces/{p.spaces[SPACE_OF_VISIBILITY[v]]}/rules",
                                                {"slow_mode_secs": 5}),
    "report.create": _report,
    "report.review": lambda s, p, t, v: _rest(s, t, "GET", _p(p) + "/reports"),
    "project.hold": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + "/hold", {"held": False}),
    "member.export": lambda s, p, t, v: _rest(s, t, "GET", _p(p) + f"/members/{_someone_else(p, t).id}/export"),
    "member.export_own": lambda s, p, t, v: _rest(s, t, "GET", _p(p) + f"/members/{_whose(p, t).id}/export"),
    "member.erase": lambda s, p, t, v: _rest(s, t, "POST", _p(p) + f"/members/{_someone_else(p, t).id}/erasure"),
    "project.chat_features": lambda s, p, t, v: _rest(s, t, "PATCH", _p(p) + "/chat-features",
                                                      {"seen_by": "counts_only"}),
    "chat.react": lambda s, p, t, v: _on_message(s, p, t, v, "POST", "reactions", {"emoji": "👍"}),
    "chat.pin": lambda s, p, t, v: _on_message(s, p, t, v, "POST", "pin", {"pinned": True}),
    "chat.poll_create": lambda s, p, t, v: _rest(s, t, "POST", f"/spaces/{p.spaces[SPACE_OF_VISIBILITY[v]]}/polls",
                                                 {"client_id": uid("c"), "question": "Which?",
                                                  "options": ["Rhine", "Oder"]}),
    "chat.poll_vote": lambda s, p, t, v: _on_message(s, p, t, v, "POST", "vote", {"choices": [0]}, poll=True),
    "chat.poll_close": lambda s, p, t, v: _on_message(s, p, t, v, "POST", "close", poll=True),
    "chat.poll_voters": lambda s, p, t, v: _on_message(s, p, t, v, "GET", "voters", poll=True),
    # Names need the project's chat features to show them (pupils: chat.seen_by_hidden): the policy lets them ask.
    "chat.seen_by": lambda s, p, t, v: _on_message(s, p, t, v, "GET", "seen"),
    "project.search": lambda s, p, t, v: _rest(s, t, "GET", _p(p) + "/search?q=river"),
}

# The same decisions over Socket.IO, for the actions that have an event.
EVENT_PROBES: dict[str, Callable[[Project, str], tuple[str, dict[str, str]]]] = {
    "project.view": lambda p, v: ("project:get", {"project_id": p.id}),
    "member.list": lambda p, v: ("member:list", {"project_id": p.id}),
    "space.read": lambda p, v: ("chat:history", {"room_id": p.spaces[SPACE_OF_VISIBILITY[v]]}),
    "mail.supervise": lambda p, v: ("mail:supervised", {"project_id": p.id}),
    "audit.read": lambda p, v: ("audit:list", {"project_id": p.id}),
    "project.hold": lambda p, v: ("project:hold", {"project_id": p.id, "held": False}),
    "member.erase": lambda p, v: ("member:erase_request", {"project_id": p.id, "user_id": p.visitor.id}),
    "project.chat_features": lambda p, v: ("project:chat_features", {"project_id": p.id, "seen_by": "counts_only"}),
    "chat.poll_create": lambda p, v: ("chat:poll_create", {"room_id": p.spaces[SPACE_OF_VISIBILITY[v]],
                                                           "client_id": uid("c"), "question": "Which?",
                                                           "options": ["Rhine", "Oder"]}),
}

CASES = [(action, visibility, role) for action, by_visibility in policy.TABLE.items()
         for visibility in by_visibility for role in policy.ROLES]


def test_every_action_has_a_probe() -> None:
    assert set(PROBES) == set(policy.TABLE) == set(policy.ACTIONS)



@pytest.mark.parametrize(("action", "visibility", "role"), CASES)
async def test_table_holds_on_the_server(server: ServerProcess, action: str, visibility: str, role: str) -> None:
    # Writes get a project of their own, so that one probe's effect cannot change another's answer.
    project = await make_project(server)
    person = project.by_role(role)
    expected = policy.allowed(role, action, visibility)  # type: ignore[arg-type]
    refused = await PROBES[action](server, project, person.token, visibility)
    assert (refused is None) == expected, f"{role} {action} {visibility}: REST answered {refused}"
    if action in EVENT_PROBES:
        event, payload = EVENT_PROBES[action](project, visibility)
        async with realtime(server, person.token) as rt:
            ack = await rt.call(event, payload)
        if expected:
            assert ack["ok"] is True, ack
        else:
            assert ack["ok"] is False and ack["error"]["code"] in DENIED, ack


def test_permissions_document_matches_the_table() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert policy.render_markdown() in doc, "docs/permissions.md differs from rooms/policy.py TABLE"
