"""Walk every role x action x visibility of the permission table against the running server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from rooms import policy
from tests.support.clients import Api, Project, make_project, realtime, uid
from tests.support.server import ServerProcess

DENIED = {"permission.denied", "project.not_found", "room.not_found"}
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


def _p(project: Project) -> str:
    return f"/projects/{project.id}"


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
    "space.read": lambda s, p, t, v: _rest(s, t, "GET", f"/spaces/{p.spaces[SPACE_OF_VISIBILITY[v]]}"),
}

# The same decisions over Socket.IO, for the actions that have an event.
EVENT_PROBES: dict[str, Callable[[Project, str], tuple[str, dict[str, str]]]] = {
    "project.view": lambda p, v: ("project:get", {"project_id": p.id}),
    "member.list": lambda p, v: ("member:list", {"project_id": p.id}),
    "space.read": lambda p, v: ("space:get", {"space_id": p.spaces[SPACE_OF_VISIBILITY[v]]}),
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
