"""Rules the permission table must keep, whatever rows are added to it."""

from __future__ import annotations

import pytest

from rooms import policy
from rooms.errors import Forbidden
from rooms.models import Member, User


def test_visitors_never_write() -> None:
    for name, action in policy.ACTIONS.items():
        if action.writes:
            assert not any("visitor" in roles for roles in policy.TABLE[name].values()), name


def test_pupils_never_see_staff_spaces() -> None:
    for name, action in policy.ACTIONS.items():
        if action.on_space:
            assert "pupil" not in policy.TABLE[name]["teachers"], name


def test_staff_read_every_space_pupils_write_in() -> None:
    for visibility in policy.SPACE_VISIBILITIES:
        if policy.allowed("pupil", "space.write", visibility):
            assert policy.allowed("teacher", "space.read", visibility)
            assert policy.allowed("admin", "space.read", visibility)


def test_writing_implies_reading() -> None:
    for role in policy.ROLES:
        for visibility in policy.SPACE_VISIBILITIES:
            if policy.allowed(role, "space.write", visibility) or policy.allowed(role, "space.moderate", visibility):
                assert policy.allowed(role, "space.read", visibility), (role, visibility)


def test_non_members_reach_no_space() -> None:
    for name, action in policy.ACTIONS.items():
        if action.on_space:
            for roles in policy.TABLE[name].values():
                assert not roles & {"support", "outsider"}, name


def test_status_on_top_of_the_table() -> None:
    policy.check("admin", "member.list", "validated")
    with pytest.raises(Forbidden) as caught:
        policy.check("admin", "member.list", "pending")
    assert caught.value.code == "project.not_open"
    with pytest.raises(Forbidden) as caught:
        policy.check("admin", "space.write", "archived", "members")
    assert caught.value.code == "project.archived"
    policy.check("pupil", "space.read", "archived", "members")
    with pytest.raises(Forbidden) as caught:  # the table first: an outsider learns nothing of the state
        policy.check("pupil", "space.write", "archived", "teachers")
    assert caught.value.code == "permission.denied"


def test_platform_role_caps_membership() -> None:
    member = Member(project_id="p", user_id="u", role="admin", display_name="U", added_by="x", joined_at="")
    assert policy.role_of(User(id="u", name="U", role="pupil"), member) == "pupil"
    assert policy.role_of(User(id="u", name="U", role="visitor"), member) == "visitor"
    assert policy.role_of(User(id="u", name="U", role="teacher"), member) == "admin"
    assert policy.role_of(User(id="u", name="U", role="support"), None) == "support"
    assert policy.role_of(User(id="u", name="U", role="teacher"), None) == "outsider"
