"""One source for each rule: the policy's action names, the settings' defaults."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from rooms import limits, policy
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


def test_authorship_is_part_of_space_write() -> None:
    policy.check_author("u1", "u1")
    try:
        policy.check_author("u1", "u2")
    except policy.Forbidden as exc:
        assert exc.data == {"action": "space.write"}
    else:  # pragma: no cover - the check must refuse
        raise AssertionError("someone else's message was editable")


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
