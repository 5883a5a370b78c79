"""Typed models of a person's export and erasure (the GDPR's access, portability and erasure).

The export's JSON files are lists (or, for ``profile.json``, one object) of the models below;
``schema.json`` in the ZIP is generated from them (:func:`rooms.export.export_schema`).

An erased item keeps its place (its id, its ``seq``, when it was written) and loses what the
person wrote: the helpers here (:func:`erased_message` ...) say what is left, and both document
stores apply them, so that a retry of an erasure cut off halfway ends in the same state.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.file_models import FileRecord
from rooms.forum_models import Post, Thread
from rooms.mail_models import Correspondent, Mail, MailCopy
from rooms.models import Member, Model, ProjectRole
from rooms.report_models import Contact, Report, Snapshot

ERASED = "erased"  # what an erased person's id becomes on what they wrote
FORMER_MEMBER = "Former member"  # the name shown where an erased person's name was


# ---- the export's files --------------------------------------------------------


class Profile(Model):
    """``profile.json``: the membership record (role, name, school, mutes) and the remembered e-mail contact."""

    project_id: str
    user_id: str
    member: Member | None
    contact: Contact | None


class Membership(Model):
    """One line of ``memberships.json``: a project the person belongs to, with their role."""

    project_id: str
    title: str
    role: ProjectRole
    status: str


class ReadMarker(Model):
    """One line of ``read_markers.json``: the last ``seq`` read in a chat room or a forum thread."""

    kind: Literal["room", "thread"]
    id: str  # the room or the thread
    seq: int


class ExportedFile(Model):
    """One line of ``files.json``: a file's record and where its bytes are in the ZIP."""

    record: FileRecord
    path: str  # files/<file_id>-<name>


# What each JSON file of the export holds (a list of the model, except profile.json).
EXPORT_FILES: dict[str, tuple[type[Model], bool]] = {  # file -> (model, is a list)
    "profile.json": (Profile, False),
    "memberships.json": (Membership, True),
    "messages.json": (Message, True),
    "threads.json": (Thread, True),
    "posts.json": (Post, True),
    "mail.json": (MailCopy, True),
    "files.json": (ExportedFile, True),
    "read_markers.json": (ReadMarker, True),
    "reports.json": (Report, True),
    "audit.json": (AuditEntry, True),
}


# ---- erasure ---------------------------------------------------------------------


class ErasureSummary(Model):
    """How many of each kind an erasure removes (before) or removed (after)."""

    messages: int = 0
    threads: int = 0
    posts: int = 0
    mails: int = 0  # mails they sent, emptied for every copy
    mail_copies: int = 0  # their own copies, deleted
    files: int = 0
    reports: int = 0  # reports scrubbed: about them, or made by them


class ErasureRequest(Model):
    """The first step: what will go, and the confirmation to send back before ``expires_at``."""

    project_id: str
    user_id: str
    confirmation: str
    expires_at: str
    summary: ErasureSummary


class ErasureDone(Model):
    project_id: str
    user_id: str
    summary: ErasureSummary


class ErasureState(Model):
    """What the store keeps of an erasure: ids, times and counts, never what was erased.

    ``confirmation_hash`` is the SHA-256 of the confirmation handed out (the token itself is not kept).
    """

    project_id: str
    user_id: str
    requested_by: str
    confirmation_hash: str
    expires_at: str
    started_at: str | None = None
    finished_at: str | None = None
    summary: ErasureSummary = ErasureSummary()


class MemberErased(Model):
    """Pushed to the project's members: drop this person's presence and name."""

    project_id: str
    user_id: str


class ErasureConfirmIn(Model):
    confirmation: str = Field(min_length=1, max_length=200)


# ---- what is left of an erased person's items -------------------------------------


def erased_message(message: Message, at: str) -> Message:
    """A tombstone: same id and seq; no text, name, files; the author and client id no longer theirs."""
    return message.model_copy(update={"text": None, "poll": None, "author_id": ERASED, "author_name": "", "attachments": [],
                                      "client_id": f"{ERASED}:{message.id}", "deleted": True,
                                      "deleted_by": ERASED, "edited_at": at})


def erased_thread(thread: Thread, at: str) -> Thread:
    """A thread keeps its place, and stays listed for the replies others wrote in it; its title and opening
    text go (clients show an empty title as an erased one)."""
    return thread.model_copy(update={"title": "", "body": "", "body_html": "", "attachments": [],
                                     "author_id": ERASED, "author_name": "", "edited_at": at})


def erased_post(post: Post, at: str) -> Post:
    return post.model_copy(update={"body": None, "body_html": None, "attachments": [], "author_id": ERASED,
                                   "author_name": "", "deleted": True, "deleted_by": ERASED, "edited_at": at})


def erased_mail(mail: Mail, at: str) -> Mail:
    """A mail they sent: emptied for every copy (as a moderator's removal), the sender no longer named."""
    emptied = mail.removed(ERASED, at) if mail.removed_by is None else mail
    return emptied.model_copy(update={"sender": Correspondent(user_id=ERASED, name=FORMER_MEMBER)})


def unnamed_recipient(mail: Mail, user_id: str) -> Mail:
    """A mail they received: its text is the sender's and stays; their name in ``to`` goes."""
    return mail.model_copy(update={"to": [Correspondent(user_id=ERASED, name=FORMER_MEMBER) if c.user_id == user_id
                                          else c for c in mail.to]})


def _scrubbed(snapshot: Snapshot, user_id: str) -> Snapshot:
    if snapshot.author_id != user_id:
        return snapshot
    return snapshot.model_copy(update={"author_id": ERASED, "author_name": "", "title": None, "text": None,
                                       "attachments": []})


def scrubbed_report(report: Report, user_id: str) -> Report | None:
    """A report without the person's text: their snapshots emptied, and as reporter no name nor note.

    None when the report holds nothing of theirs.
    """
    changes: dict[str, object] = {}
    item = _scrubbed(report.item, user_id)
    if item is not report.item:
        changes["item"] = item
    context = [_scrubbed(s, user_id) for s in report.context]
    if any(a is not b for a, b in zip(context, report.context, strict=True)):
        changes["context"] = context
    if report.reported_id == user_id:
        changes["reported_id"] = ERASED
    if report.reporter_id == user_id and (report.reporter_name is not None or report.note):
        changes["reporter_name"] = None
        changes["note"] = ""
    if report.resolution is not None and report.resolution.by == user_id and report.resolution.by_name:
        changes["resolution"] = report.resolution.model_copy(update={"by_name": ""})  # a moderator erased
    return report.model_copy(update=changes) if changes else None
