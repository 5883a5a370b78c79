"""Typed models of internal mail: one mail, one copy per person, folders and payloads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from rooms import limits
from rooms.audience import for_role
from rooms.chat_models import AttachmentIds, plain_text
from rooms.file_models import FileRef
from rooms.models import Model, UserId

Folder = Literal["inbox", "sent", "archived"]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=limits.MAIL_SUBJECT_MAX_CHARS)]
MailBody = Annotated[str, StringConstraints(max_length=limits.MAIL_BODY_MAX_CHARS), AfterValidator(plain_text)]


class Correspondent(Model):
    user_id: str | None  # null only in a visitor's copy, for a pupil (rooms.audience)
    name: str
    role: str | None = None  # their role when it was sent; absent on mail stored before

    @property
    def id(self) -> str:
        """Their id, which every stored mail has (only a visitor's view leaves it out)."""
        assert self.user_id is not None, "a visitor's view is not a stored mail"
        return self.user_id


class Mail(Model):
    """What was sent. Never changes but for a moderator's removal; each person's state is in their
    :class:`MailCopy`."""

    id: str
    project_id: str
    conversation_id: str  # shared by a mail and every reply to it
    reply_to: str | None = None
    sender: Correspondent
    to: list[Correspondent]
    subject: str
    body: str
    body_html: str
    attachments: list[FileRef] = []
    created_at: str
    supervised: bool = False  # a pupil sent or receives it: the project's teachers may read it
    removed_by: str | None = None  # a moderator removed it from every copy (no subject, body or files left)
    removed_at: str | None = None

    def removed(self, by: str, at: str) -> Mail:
        """What is left once a moderator removed it: who wrote to whom and when, and who removed it."""
        return self.model_copy(update={"subject": "", "body": "", "body_html": "", "attachments": [],
                                       "removed_by": by, "removed_at": at})


class MailCopy(Model):
    """One person's copy: the sender's in ``sent``, each recipient's in ``inbox`` at first."""

    mail: Mail
    owner_id: str
    folder: Folder
    read: bool

    def as_owner_sees(self) -> MailCopy:
        """The copy as its owner sees the correspondents: a visitor, as :mod:`rooms.audience` shows people."""
        mail = self.mail
        role = next((c.role for c in (mail.sender, *mail.to) if c.user_id == self.owner_id), None)
        return for_role(role or "", self)


class MailPage(Model):
    copies: list[MailCopy]
    next_cursor: str | None


class MailDeleted(Model):
    mail_id: str
    deleted: bool


class MailUnread(Model):
    unread: int  # unread copies in the inbox, all projects together


class SupervisedMailPage(Model):
    """The supervision view: a project's supervised mails, newest first."""

    mails: list[Mail]
    next_cursor: str | None


class MailConversation(Model):
    """The supervised mails of one conversation, oldest first."""

    mails: list[Mail]


class MailRemoved(Model):
    """Pushed to every copy's owner when a moderator removed the mail: show it as removed."""

    mail_id: str
    project_id: str


# ---- request payloads ------------------------------------------------------


class MailSendIn(Model):
    """A new mail, or a reply (``reply_to``): a reply may leave out ``to`` and ``subject``.

    A reply without ``to`` goes to the other side of the mail it answers;
    with ``reply_all`` to everyone on it but the sender of the reply.
    """

    project_id: str | None = None
    to: list[UserId] | None = Field(default=None, min_length=1, max_length=limits.MAIL_RECIPIENTS_MAX)
    subject: Subject | None = None
    body: MailBody
    reply_to: str | None = None
    reply_all: bool = False
    attachments: AttachmentIds = []

    @field_validator("to")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each recipient appears once")
        return value

    @model_validator(mode="after")
    def _shape(self) -> MailSendIn:
        if self.reply_to is None:
            missing = [f for f in ("project_id", "to", "subject") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a new mail needs {', '.join(missing)}")
            if self.reply_all:
                raise ValueError("reply_all needs reply_to")
        return self


class MailListIn(Model):
    folder: Folder = "inbox"
    project_id: str | None = None
    cursor: str | None = None
    limit: int = Field(default=limits.MAIL_PAGE_DEFAULT, ge=1, le=limits.MAIL_PAGE_MAX)


class MailRefIn(Model):
    mail_id: str


class MailReadIn(Model):
    mail_id: str
    read: bool = True


class MailMoveIn(Model):
    mail_id: str
    folder: Literal["inbox", "archived", "sent"]


class NoPayloadIn(Model):
    pass


class MailSupervisedIn(Model):
    project_id: str
    cursor: str | None = None
    limit: int = Field(default=limits.MAIL_PAGE_DEFAULT, ge=1, le=limits.MAIL_PAGE_MAX)


class MailConversationIn(Model):
    project_id: str
    conversation_id: str


class MailRemoveIn(Model):
    """A mail to remove from every copy; ``project_id`` (given by the REST path) must be the mail's."""

    mail_id: str
    project_id: str | None = None
