"""Typed models of shared files: the stored record and what messages carry about it."""

from __future__ import annotations

from typing import Literal

from rooms.models import Model

AttachedKind = Literal["message", "thread", "post", "mail"]


class Attachment(Model):
    """What a file is attached to; it decides who may read the file."""

    kind: AttachedKind
    id: str  # the message, thread, post or mail
    space_id: str | None = None  # the chat room or forum; None for mail


class FileRecord(Model):
    id: str
    project_id: str
    owner_id: str
    owner_name: str
    name: str
    size: int
    content_type: str  # from the bytes, never from the name or the upload's header
    sha256: str
    created_at: str
    attached_to: Attachment | None = None
    expired_at: str | None = None  # retention or a project's deletion is removing it: nobody reads it any more


class FileRef(Model):
    """A file as a message, post or mail lists it."""

    id: str
    name: str
    size: int
    content_type: str
