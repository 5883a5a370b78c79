"""One view of a person for each audience, everywhere: the member list, presence, messages and posts.

Visitors (parents, inspectors, school heads) see a pupil's display name and role, never the pupil's
id; everyone else in a project sees ids. The rule is :func:`id_shown`, and every place a person
appears asks it: the member list (``rooms.projects``), presence (``rooms.chat.presence_view``), and
what people wrote, through :func:`for_visitors`, which the chat and forum services apply to what
they answer a visitor and the fan-out to what a room's visitors hear.

Items keep the role their author wrote with (``author_role``), mails the role of each correspondent
(``role``). What was stored before roles were kept has none; visitors then see no id either
(unknown is treated as a pupil's).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")

_ID_SHOWN_TO_VISITORS = frozenset({"admin", "teacher", "visitor"})
# How a model names a person: (id field, role field). Authors of messages, threads and posts; the
# sender and recipients of a mail (and presence and member views, which already follow the rule).
_PEOPLE = (("author_id", "author_role"), ("user_id", "role"))


def id_shown(viewer: str, subject_role: str | None) -> bool:
    """Whether ``viewer`` (a role) may see the id of someone acting as ``subject_role``."""
    return viewer != "visitor" or subject_role in _ID_SHOWN_TO_VISITORS


def for_visitors(value: T) -> T:
    """``value`` as visitors see it: authors' ids left out where :func:`id_shown` says so.

    Walks models and lists; anything without an author comes back as the very same object (so that
    the fan-out can tell when the visitors' view is the members' one and send it once).
    """
    return _walk(value)  # type: ignore[no-any-return]


def for_role(viewer: str, value: T) -> T:
    """``value`` as someone acting as ``viewer`` sees its authors."""
    return for_visitors(value) if viewer == "visitor" else value


def _walk(value: Any) -> Any:
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        changes: dict[str, Any] = {}
        for id_field, role_field in _PEOPLE:
            if id_field in fields and role_field in fields and not id_shown("visitor", getattr(value, role_field)):
                person = getattr(value, id_field)
                if person is not None:
                    changes[id_field] = None
                    if "deleted_by" in fields and getattr(value, "deleted_by") == person:
                        changes["deleted_by"] = None  # who deleted it names the author too
        values = value.__dict__  # the fields' values (pydantic keeps them there), read without getattr
        for name in fields:
            item = values[name]
            if isinstance(item, (BaseModel, list)) and name not in changes:
                seen = _walk(item)
                if seen is not item:
                    changes[name] = seen
        return value.model_copy(update=changes) if changes else value
    if isinstance(value, list):
        if not value:  # most lists of a message (files, reactions, mentions) are empty
            return value
        seen_items = [_walk(v) for v in value]
        return seen_items if any(a is not b for a, b in zip(seen_items, value, strict=True)) else value
    return value
