"""The permission policy: may this person do this action here?

Every entry point (REST route, Socket.IO event, command line) asks
:func:`check`. The rules are one table, ``TABLE``: for each action and
space visibility, the set of roles allowed. ``docs/permissions.md`` shows
the same table, rendered by :func:`render_markdown`, and a test fails when
the two differ.

Roles are the member's project role, plus two for people who are not
members: ``support`` (a national support officer) and ``outsider``
(anyone else with a valid token). A token's platform role caps the
project role: a pupil's or visitor's token never acts above that, whatever
the membership says.

Project status comes on top of the table: a pending or rejected project
opens nothing but its own page and its review; an archived project is
read-only for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rooms.errors import Forbidden
from rooms.models import Member, ProjectRole, ProjectStatus, User, Visibility

Role = Literal["admin", "teacher", "pupil", "visitor", "support", "outsider"]
ROLES: tuple[Role, ...] = ("admin", "teacher", "pupil", "visitor", "support", "outsider")

NO_SPACE = "-"  # the visibility column of actions that concern the project, not a space
SPACE_VISIBILITIES: tuple[Visibility, ...] = ("members", "teachers", "visitors")

# Rank used to cap a project role by the token's platform role.
_RANK = {"visitor": 0, "pupil": 1, "teacher": 2, "admin": 3}


@dataclass(frozen=True)
class Action:
    name: str
    writes: bool  # refused on archived projects
    on_space: bool  # decided per space visibility
    opens_when_closed: bool = False  # allowed while the project is pending or rejected
    summary: str = ""
    own: bool = False  # only on what the actor wrote or uploaded (authorship is part of the rule)


ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("project.view", False, False, True, "see the project, its spaces list and status"),
    Action("project.review", True, False, True, "validate or reject a registered project"),
    Action("project.archive", True, False, False, "archive the project (read-only for everyone)"),
    Action("member.list", False, False, False, "list the project's members"),
    Action("member.add_teacher", True, False, False, "invite a teacher or admin"),
    Action("member.add_pupil", True, False, False, "create pupil access"),
    Action("member.add_visitor", True, False, False, "create visitor access"),
    Action("member.change_role", True, False, False, "change a member's role"),
    Action("member.remove", True, False, False, "remove a member"),
    Action("member.mute", True, False, False, "mute a pupil in a room or the whole project for a time, or unmute"),
    Action("space.create", True, False, False, "add a chat room or forum"),
    Action("project.configure", True, False, False,
           "change project settings (how long chat, forum, mail and files are kept)"),
    Action("project.safeguard", True, False, False,
           "change the safeguarding settings: chat hours, word filter and its own words, mail policy"),
    Action("mail.send", True, False, False, "send internal mail to the project's members"),
    Action("mail.supervise", False, False, False, "read every mail a pupil of the project sent or received"),
    Action("mail.moderate", True, False, False, "remove a mail from every copy"),
    Action("file.upload", True, False, False, "upload a file to the project"),
    Action("file.delete_own", True, False, False, "delete a file one uploaded", own=True),
    Action("file.moderate", True, False, False, "delete anyone's file in the project"),
    Action("report.create", False, False, False,  # not a write: a visitor reports too, an archived project too
           "report a message, post, mail or file to the project's teachers"),
    Action("report.review", False, False, False,  # not a write: an archived project's reports are still handled
           "see the project's report queue and decide on reports"),
    Action("audit.read", False, False, True,  # a pending or rejected project's log: who registered, who rejected
           "read the project's audit log"),
    Action("space.read", False, True, False, "see a space and read what is in it"),
    Action("space.write", True, True, False, "write in a space (a message, a thread, a post)"),
    Action("space.edit_own", True, True, False, "edit or delete one's own message, thread or post", own=True),
    Action("space.moderate", True, True, False,
           "hide, show again or delete anyone's messages and posts; pin, lock and delete threads"),
    Action("space.configure", True, True, False, "make a room read-only (announcements) or set its slow mode"),
    Action("project.hold", False, False, False,  # not a write: it is for archived projects above all
           "hold a project so that it is not deleted after its grace period, or release it"),
    Action("project.chat_features", True, False, False,
           "choose the project's reactions and who sees who has read a message"),
    Action("chat.react", True, True, False, "add or take back a reaction on a message"),
    Action("chat.pin", True, True, False, "pin a message in a room, or unpin it"),
    Action("chat.poll_create", True, True, False, "post a poll in a room"),
    Action("chat.poll_vote", True, True, False, "vote in a poll, or change one's vote until it closes"),
    Action("chat.poll_close", True, True, False, "close a poll before its time"),
    Action("chat.poll_voters", False, True, False, "see who voted for what in a poll that is not anonymous"),
    Action("project.search", False, False, False,
           "search the project: only what one may read (rooms, forums, one's own mail, files) is searched"),
    Action("chat.seen_by", False, True, False,
           "see who has read a message (pupils only where the project shows them names)"),
]}

_MEMBERS: frozenset[Role] = frozenset({"admin", "teacher", "pupil", "visitor"})
_STAFF: frozenset[Role] = frozenset({"admin", "teacher"})
_ADMIN: frozenset[Role] = frozenset({"admin"})
_NOBODY: frozenset[Role] = frozenset()
_WRITERS: dict[str, frozenset[Role]] = {  # visitors never write; in spaces open to visitors, members write
    "members": _STAFF | {"pupil"},
    "teachers": _STAFF,
    "visitors": _STAFF | {"pupil"},
}
_STAFF_EVERYWHERE: dict[str, frozenset[Role]] = {v: _STAFF for v in SPACE_VISIBILITIES}

# action -> visibility ("-" for project actions) -> roles allowed.
TABLE: dict[str, dict[str, frozenset[Role]]] = {
    "project.view": {NO_SPACE: _MEMBERS | {"support"}},
    "project.review": {NO_SPACE: frozenset({"support"})},
    "project.archive": {NO_SPACE: _ADMIN},
    "member.list": {NO_SPACE: _MEMBERS},
    "member.add_teacher": {NO_SPACE: _ADMIN},
    "member.add_pupil": {NO_SPACE: _ADMIN},
    "member.add_visitor": {NO_SPACE: _ADMIN},
    "member.change_role": {NO_SPACE: _ADMIN},
    "member.remove": {NO_SPACE: _ADMIN},
    "member.mute": {NO_SPACE: _STAFF},
    "space.create": {NO_SPACE: _ADMIN},
    "project.configure": {NO_SPACE: _ADMIN},
    "project.safeguard": {NO_SPACE: _STAFF},
    "mail.send": {NO_SPACE: _STAFF | {"pupil"}},  # visitors receive mail, never send it
    "mail.supervise": {NO_SPACE: _STAFF},
    "mail.moderate": {NO_SPACE: _STAFF},
    "file.upload": {NO_SPACE: _STAFF | {"pupil"}},
    "file.delete_own": {NO_SPACE: _STAFF | {"pupil"}},
    "file.moderate": {NO_SPACE: _STAFF},
    "report.create": {NO_SPACE: _MEMBERS},  # pupils first of all; a parent who visits may report too
    # Support officers see a project's reports once they are escalated to them (rooms/reports.py).
    "report.review": {NO_SPACE: _STAFF | {"support"}},
    "audit.read": {NO_SPACE: _ADMIN | {"support"}},
    "space.read": {
        "members": _STAFF | {"pupil"},
        "teachers": _STAFF,
        "visitors": _MEMBERS,
    },
    "space.write": _WRITERS,
    "space.edit_own": _WRITERS,
    "space.moderate": _STAFF_EVERYWHERE,
    "space.configure": _STAFF_EVERYWHERE,
    "project.hold": {NO_SPACE: frozenset({"support"})},
    "project.chat_features": {NO_SPACE: _STAFF},
    "chat.react": _WRITERS,  # visitors never react
    "chat.pin": _STAFF_EVERYWHERE,
    "chat.poll_create": _STAFF_EVERYWHERE,  # a teacher asks the class
    "chat.poll_vote": _WRITERS,
    "chat.poll_close": _STAFF_EVERYWHERE,
    "chat.poll_voters": _STAFF_EVERYWHERE,  # and only when the poll is not anonymous (rooms/polls.py)
    # Counts are shown to everyone who reads the room; names to staff, and to pupils where the project's
    # chat features say so (rooms/seen.py). Visitors never see who read what.
    "chat.seen_by": _WRITERS,
    # Every member searches; the query itself is restricted to what the searcher may read (rooms/search.py).
    "project.search": {NO_SPACE: _MEMBERS},
}


# Actions decided by the token's platform role alone, before there is a project to be a member of.
PLATFORM_TABLE: dict[str, tuple[frozenset[str], str]] = {
    "project.register": (frozenset({"teacher"}), "register a project (it starts pending)"),
}


def check_platform(user: User, action: str) -> None:
    """Raise :class:`Forbidden` unless ``user``'s platform role may do ``action``."""
    roles, _ = PLATFORM_TABLE[action]
    if user.role not in roles:
        raise Forbidden("permission.denied", action=action)


def role_of(user: User, member: Member | None) -> Role:
    """The role ``user`` acts with in a project where they are ``member`` (or not)."""
    if member is None:
        return "support" if user.role == "support" else "outsider"
    return capped(user, member.role)


def capped(user: User, role: ProjectRole) -> ProjectRole:
    """``role`` capped by the token's platform role: a pupil's token never acts as staff."""
    if user.role in ("pupil", "visitor") and _RANK[role] > _RANK[user.role]:
        return user.role
    return role


def allowed(role: Role, action: str, visibility: str = NO_SPACE) -> bool:
    """Whether the table lets ``role`` do ``action`` in a space of ``visibility``."""
    return role in TABLE[action].get(visibility, _NOBODY)


def check(role: Role, action: str, status: ProjectStatus, visibility: str = NO_SPACE, *,
          actor_id: str | None = None, author_id: str | None = None) -> None:
    """Raise :class:`Forbidden` unless ``role`` may do ``action`` now.

    The table decides first, so that someone without access learns
    nothing about the project's state. An action marked ``own`` also needs
    ``actor_id`` to be the item's ``author_id``: only its author edits a
    message, thread or post (moderators delete or hide anyone's; they never
    rewrite what someone else said).
    """
    spec = ACTIONS[action]
    if spec.on_space == (visibility == NO_SPACE):
        raise ValueError(f"{action} needs {'a' if spec.on_space else 'no'} space visibility")
    if spec.own and (author_id is None or actor_id is None):
        raise ValueError(f"{action} is decided on the item's author")
    if not allowed(role, action, visibility) or (spec.own and actor_id != author_id):
        raise Forbidden("permission.denied", action=action)
    if status in ("pending", "rejected") and not spec.opens_when_closed:
        raise Forbidden("project.not_open", status=status)
    if status == "archived" and spec.writes:
        raise Forbidden("project.archived")


def visible_spaces(role: Role) -> tuple[Visibility, ...]:
    """Visibilities of the spaces ``role`` may read."""
    return tuple(v for v in SPACE_VISIBILITIES if allowed(role, "space.read", v))


def render_markdown() -> str:
    """The actions and the table as Markdown, as ``docs/permissions.md`` shows them."""
    yes_no = {True: "yes", False: "no"}
    rows = ["| action | what | writes | allowed while pending/rejected |", "|---|---|---|---|"]
    rows += [f"| `{name}` | {spec.summary} | {yes_no[spec.writes]} | {yes_no[spec.opens_when_closed]} |"
             for name, spec in ACTIONS.items()]
    rows += ["", "| action | visibility | " + " | ".join(ROLES) + " |", "|" + "---|" * (len(ROLES) + 2)]
    for action, by_visibility in TABLE.items():
        allow = "own" if ACTIONS[action].own else "yes"
        for visibility, roles in by_visibility.items():
            cells = [allow if r in roles else "no" for r in ROLES]
            rows.append(f"| `{action}` | {visibility} | " + " | ".join(cells) + " |")
    rows += ["", "\"own\": allowed only on what that person wrote or uploaded themselves.", "",
             "Decided by the token's platform role, before any project membership:", "",
             "| action | platform roles | what |", "|---|---|---|"]
    rows += [f"| `{action}` | {', '.join(sorted(roles))} | {what} |" for action, (roles, what) in PLATFORM_TABLE.items()]
    return "\n".join(rows) + "\n"

# ---- a person's export and erasure (rooms/export.py, rooms/erasure.py) ----------------------
ACTIONS.update({a.name: a for a in [
    Action("member.export", False, False, False,  # not a write: an archived project's members may ask too
           "export everything the project holds about one member (a ZIP)"),
    Action("member.export_own", False, False, False, "export everything the project holds about oneself",
           own=True),
    Action("member.erase", False, False, False,  # an archived project's data is still held: erasure stays open
           "erase one member from the project: what they wrote, their files, their profile (after a confirmation)"),
]})
TABLE.update({
    "member.export": {NO_SPACE: _ADMIN | {"support"}},
    "member.export_own": {NO_SPACE: _MEMBERS},
    "member.erase": {NO_SPACE: _ADMIN | {"support"}},
})
