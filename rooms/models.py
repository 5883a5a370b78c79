"""Typed models of the domain: who acts, projects, members and spaces.

The request models (``*In``) are also the REST and Socket.IO payload
schemas: one schema per operation, unknown fields forbidden.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from rooms import limits
from rooms.classroom_models import ChatFeatures
from rooms.model_base import Model as Model  # re-exported: every model module builds on it
from rooms.safeguarding_models import Mute, Safeguarding

PlatformRole = Literal["teacher", "pupil", "visitor", "support"]
ProjectRole = Literal["admin", "teacher", "pupil", "visitor"]
Visibility = Literal["members", "teachers", "visitors"]
ProjectStatus = Literal["pending", "validated", "rejected", "archived"]
SpaceKind = Literal["chat", "forum"]

PLATFORM_ROLES: tuple[PlatformRole, ...] = ("teacher", "pupil", "visitor", "support")

_LANG_RE = re.compile(r"^[a-z]{2}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")

UserId = Annotated[str, StringConstraints(min_length=1, max_length=limits.USER_ID_MAX_CHARS,
                                          pattern=r"^[A-Za-z0-9_.@:-]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                        max_length=limits.DISPLAY_NAME_MAX_CHARS)]
School = Annotated[str, StringConstraints(strip_whitespace=True, max_length=limits.SCHOOL_MAX_CHARS)]
Country = Annotated[str, StringConstraints(pattern=_COUNTRY_RE.pattern)]
Language = Annotated[str, StringConstraints(pattern=_LANG_RE.pattern)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=limits.EMAIL_MAX_CHARS,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class User(Model):
    """Who is acting, as the trusted portal's token says."""

    id: UserId
    name: Name
    role: PlatformRole
    school: School = ""
    country: Country | None = None
    lang: Language | None = None  # the token's; without one, messages follow the request's Accept-Language
    email: Email | None = None  # when the portal sends one: where a teacher is told of reports when away


class Project(Model):
    id: str
    title: str
    description: str
    subject: str
    age_min: int
    age_max: int
    languages: list[str]
    status: ProjectStatus
    status_reason: str | None = None
    chat_retention_days: int | None = None  # None: chat is kept until the project ends
    forum_retention_days: int | None = None  # None: kept until the project ends
    mail_retention_days: int | None = None
    file_retention_days: int | None = None  # unattached uploads; a file attached to a kept item stays
    archived_at: str | None = None  # set when an admin archives it
    delete_after: str | None = None  # announced at archive: deleted entirely from then on, unless held
    held: bool = False  # a support officer holds it: never deleted while held
    hold_reason: str | None = None
    safeguarding: Safeguarding = Safeguarding()
    chat_features: ChatFeatures = ChatFeatures()
    created_by: str
    created_at: str
    updated_at: str


class Member(Model):
    project_id: str
    user_id: str
    role: ProjectRole
    display_name: str
    school: str = ""
    country: str | None = None
    email: str | None = None
    added_by: str
    joined_at: str
    mutes: list[Mute] = []  # at most one per room and one for the whole project


class Space(Model):
    """A chat room or a forum inside a project."""

    id: str
    project_id: str
    kind: SpaceKind
    name: str
    visibility: Visibility
    default_key: str | None = None  # "general", "staff" or "forum" for the spaces made at validation
    created_by: str
    created_at: str
    read_only: bool = False  # an announcement room: only teachers write
    slow_mode_secs: int = 0  # a pupil's minimum seconds between two messages (0: off)


class ProjectWithRole(Model):
    """A project as one of its members sees it in their list."""

    project: Project
    role: Literal["admin", "teacher", "pupil", "visitor", "support"]


# ---- request models ---------------------------------------------------


class PartnerIn(Model):
    """A founding partner teacher named at registration."""

    user_id: UserId
    display_name: Name
    school: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=limits.SCHOOL_MAX_CHARS)]
    country: Country
    email: Email | None = None


class ProjectIn(Model):
    """Registration of a project by a teacher."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=limits.PROJECT_TITLE_MAX_CHARS)]
    description: Annotated[str, StringConstraints(strip_whitespace=True,
                                                  max_length=limits.PROJECT_DESCRIPTION_MAX_CHARS)] = ""
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=limits.PROJECT_SUBJECT_MAX_CHARS)]
    age_min: int = Field(ge=limits.PUPIL_AGE_MIN, le=limits.PUPIL_AGE_MAX)
    age_max: int = Field(ge=limits.PUPIL_AGE_MIN, le=limits.PUPIL_AGE_MAX)
    languages: list[Language] = Field(min_length=1, max_length=limits.PROJECT_LANGUAGES_MAX)
    partners: list[PartnerIn] = Field(min_length=1, max_length=limits.PROJECT_PARTNERS_MAX)

    @model_validator(mode="after")
    def _ages_ordered(self) -> ProjectIn:
        if self.age_min > self.age_max:
            raise ValueError("age_min must not exceed age_max")
        return self

    @field_validator("languages")
    @classmethod
    def _distinct_languages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("languages must be distinct")
        return value


class RejectIn(Model):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=limits.REASON_MAX_CHARS)]


class MemberIn(Model):
    """An admin adds a member: a teacher (invited by portal id), a pupil or a visitor.

    ``user_id`` may be left out for pupils and visitors: the server then
    makes one, which the portal uses as the subject of that person's tokens.
    Pupils have no e-mail address.
    """

    role: ProjectRole
    display_name: Name
    user_id: UserId | None = None
    school: School = ""
    country: Country | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _shape(self) -> MemberIn:
        if self.role in ("admin", "teacher") and self.user_id is None:
            raise ValueError("teachers are invited by their portal user_id")
        if self.role == "pupil" and self.email is not None:
            raise ValueError("pupils have no e-mail address")
        return self


class MemberRoleIn(Model):
    role: ProjectRole


class SpaceIn(Model):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=limits.SPACE_NAME_MAX_CHARS)]
    visibility: Visibility = "members"
    kind: SpaceKind = "chat"


class MemberView(Model):
    """A member as another member sees them.

    Visitors see a pupil's display name and role only; only staff see
    e-mail addresses.
    """

    role: ProjectRole
    display_name: str
    user_id: str | None = None
    school: str | None = None
    country: str | None = None
    email: str | None = None
    joined_at: str | None = None


RetentionDays = Annotated[int | None, Field(ge=1, le=limits.CHAT_RETENTION_DAYS_MAX)]
RETENTION_FIELDS = ("chat_retention_days", "forum_retention_days", "mail_retention_days", "file_retention_days")


class ProjectSettingsIn(Model):
    """What an admin can change on a project: how long chat, forum, mail and unattached files are kept,
    in days. ``null`` keeps them until the project ends; a field left out stays as it is."""

    chat_retention_days: RetentionDays = None
    forum_retention_days: RetentionDays = None
    mail_retention_days: RetentionDays = None
    file_retention_days: RetentionDays = None

    def retention(self) -> dict[str, int | None]:
        """The periods this request sets (the fields it names, ``null`` included)."""
        return {f: getattr(self, f) for f in RETENTION_FIELDS if f in self.model_fields_set}


class HoldIn(Model):
    """A support officer holds a project (it is not deleted after its grace period) or releases it."""

    held: bool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=limits.REASON_MAX_CHARS)] | None = None
