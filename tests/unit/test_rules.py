"""One source for each rule: the policy's action names, the settings' defaults."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from rooms import errors, limits, policy
from server import settings

ROOT = Path(__file__).resolve().parents[2]


def _forbidden_actions() -> dict[str, str]:
    """Every ``action="..."`` a ``Forbidden`` is raised with in the domain: name -> where."""
    found = {}
    for path in sorted((ROOT / "rooms").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Forbidden":
                for kw in node.keywords:
                    if kw.arg == "action" and isinstance(kw.value, ast.Constant):
                        found[kw.value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_refused_action_is_one_the_policy_knows() -> None:
    known = set(policy.ACTIONS) | set(policy.PLATFORM_TABLE)
    unknown = {name: where for name, where in _forbidden_actions().items() if name not in known}
    assert unknown == {}


def test_authorship_is_part_of_the_table() -> None:
    policy.check("pupil", "space.edit_own", "validated", "members", actor_id="u1", author_id="u1")
    try:
        policy.check("teacher", "space.edit_own", "validated", "members", actor_id="u1", author_id="u2")
    except policy.Forbidden as exc:
        assert exc.data == {"action": "space.edit_own"}
    else:  # pragma: no cover - the check must refuse
        raise AssertionError("someone else's message was editable")
    assert "| `space.edit_own` | members | own | own | own | no | no | no |" in policy.render_markdown()


def test_settings_have_no_defaults_of_their_own() -> None:
    fields = dataclasses.fields(settings.Settings)
    assert [f.name for f in fields] == [o.name for o in settings.OPTIONS]
    assert all(f.default is dataclasses.MISSING for f in fields)


def test_tunable_limits_default_to_the_domain_limits() -> None:
    loaded = settings.load({}, {})
    assert loaded.chat_rate_messages == limits.CHAT_RATE_MESSAGES_DEFAULT
    assert loaded.chat_rate_window_secs == limits.CHAT_RATE_WINDOW_SECS_DEFAULT
    assert loaded.mail_rate_messages == limits.MAIL_RATE_MESSAGES_DEFAULT
    assert loaded.mail_rate_window_secs == limits.MAIL_RATE_WINDOW_SECS_DEFAULT
    assert loaded.file_max_bytes == limits.FILE_MAX_BYTES_DEFAULT
    assert loaded.project_quota_bytes == limits.PROJECT_QUOTA_BYTES_DEFAULT


def _raised_codes() -> list[tuple[str, str, str]]:
    """(class name, code, where) for every ``SomeError("code", ...)`` in rooms, server and storage."""
    found = []
    for package in ("rooms", "server", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                        and isinstance(getattr(errors, node.func.id, None), type)
                        and issubclass(getattr(errors, node.func.id), errors.TwinspaceError)):
                    found.append((node.func.id, node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_every_code_is_raised_with_its_own_class() -> None:
    raised = _raised_codes()
    assert len(raised) > 50
    wrong = [(cls, code, where) for cls, code, where in raised
             if code not in errors.SPECS or not issubclass(errors.SPECS[code].kind, getattr(errors, cls))]
    assert wrong == []


def test_a_code_refuses_the_wrong_class() -> None:
    with pytest.raises(ValueError, match="is a Conflict"):
        errors.NotFound("member.last_admin")
    assert errors.Conflict("member.last_admin").status == 409


def test_request_invalid_names_its_field_in_every_language() -> None:
    error = errors.InvalidRequest("request.invalid", detail="text: String should have at most 4000 characters")
    assert error.data["field"] == "text"
    assert "String should" not in errors.render(error.code, error.data, "fr")
    assert "text" in errors.render(error.code, error.data, "fr")
    assert errors.InvalidRequest("request.invalid", detail="send one object").data["field"] == "payload"
