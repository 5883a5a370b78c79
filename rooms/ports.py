"""The ports: what the domain needs from storage, as Protocols.

Adapters live in ``storage/`` and are named ``<Tech><Port>``. They
translate their driver's errors into :mod:`rooms.errors` at their edge:
no driver exception travels past ``storage/``.

Attachments: the write that stores a message, thread, post or mail also
attaches the files its ``attachments`` list, in the same write, and only
files that are still unattached and still the author's. When one is not,
that write stores nothing (no item, no attachment) and raises
``NotAttachable`` (``file.not_attachable``); when the write fails
otherwise, no file is left attached to it, so a retry can attach them.
The domain (``FileService.attachable``) checks the files first by reading.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message, PresenceEntry
from rooms.classroom_models import ChatFeatures, Written
from rooms.file_models import FileRecord
from rooms.forum_models import Post, Thread
from rooms.mail_models import Mail, MailCopy
from rooms.models import Member, Project, ProjectRole, ProjectStatus, Space, Visibility
from rooms.privacy_models import ErasureState, ErasureSummary, ReadMarker
from rooms.report_models import Contact, Report, ReportState
from rooms.safeguarding_models import Mute, Safeguarding
from rooms.search_models import SearchHit, SearchQuery, SearchScope


class ProjectStore(Protocol):
    """Projects, their members and their spaces."""

    async def create_project(self, project: Project, founders: list[Member], audit: AuditEntry | None = None) -> bool:
        """Store a project with its founding members (and its ``audit`` entry) atomically.

        Returns False (and changes nothing) when a project with that id exists.
        """

    async def get_project(self, project_id: str) -> Project | None: ...

    async def transition_project(self, project_id: str, from_status: ProjectStatus,
                                 to_status: ProjectStatus, reason: str | None, at: str,
                                 spaces: list[Space], audit: AuditEntry | None = None, *,
                                 changes: dict[str, Any] | None = None) -> Project | None:
        """Move a project from ``from_status`` to ``to_status`` and add ``spaces``, atomically.

        ``changes``: other fields of the project set with the move (an archive's ``archived_at``).

        Returns the updated project, or None (nothing stored, no ``audit``) when it was not in ``from_status``.
        """

    async def list_projects_of(self, user_id: str, limit: int) -> list[tuple[Project, ProjectRole]]:
        """The projects ``user_id`` is a member of, newest first."""

    async def list_projects_by_status(self, status: ProjectStatus, limit: int) -> list[Project]:
        """Projects in ``status``, oldest first (a review queue)."""

    async def add_member(self, member: Member, audit: AuditEntry | None = None) -> bool:
        """Add a member (and its ``audit`` entry); False, storing nothing, when that user is already a member."""

    async def get_member(self, project_id: str, user_id: str) -> Member | None: ...

    async def list_members(self, project_id: str, limit: int) -> list[Member]:
        """Members in the order they joined."""

    async def set_member_role(self, project_id: str, user_id: str, role: ProjectRole,
                              audit: AuditEntry | None = None) -> Member | None:
        """Change a role (``audit`` with it). Raises ``Conflict("member.last_admin")`` when it would leave no admin."""

    async def remove_member(self, project_id: str, user_id: str, audit: AuditEntry | None = None) -> bool:
        """Remove a member (``audit`` with it). Raises ``Conflict("member.last_admin")`` when it would leave no admin."""

    async def add_space(self, space: Space, max_per_project: int, audit: AuditEntry | None = None) -> bool:
        """Add a space (``audit`` with it); False, storing nothing, when the project already has ``max_per_project``."""

    async def get_space(self, space_id: str) -> Space | None: ...

    async def get_space_access(self, space_id: str, user_id: str) -> tuple[Space, Project, Member | None] | None:
        """A space, its project and ``user_id``'s membership of it, in one read (every chat event asks).

        None when there is no such space.
        """

    async def list_spaces(self, project_id: str, visibilities: tuple[Visibility, ...]) -> list[Space]:
        """The project's spaces of the given visibilities, in creation order."""

    async def ping(self) -> None:
        """Raise ``Unavailable`` when the backend does not answer."""

    async def set_mutes(self, project_id: str, user_id: str, mutes: list[Mute], *,
                        audit: AuditEntry | None = None) -> Member | None:
        """Replace a member's mutes (and record ``audit`` with it); None when there is no such member."""

    async def update_space(self, space_id: str, changes: dict[str, Any], *,
                           audit: AuditEntry | None = None) -> Space | None:
        """Apply ``changes`` to a space (its rules: ``read_only``, ``slow_mode_secs``); None when there is none."""

    async def set_safeguarding(self, project_id: str, rules: Safeguarding, *,
                               audit: AuditEntry | None = None) -> Project | None:
        """Replace a project's safeguarding settings; None when there is no such project."""

    async def set_chat_features(self, project_id: str, features: ChatFeatures, *,
                                audit: AuditEntry | None = None) -> Project | None:
        """Replace a project's chat features; None when there is no such project."""


class ChatStore(Protocol):
    """Chat messages, numbered per room, and each member's read state."""

    async def append_message(self, message: Message, mention_ids: tuple[str, ...] = ()) -> tuple[Message, bool]:
        """Store ``message`` with the room's next ``seq`` and ``rev`` (its own are ignored), atomically.

        When the author already sent a message with this ``client_id`` in this
        room, nothing is stored and that message comes back with False.
        The author's read marker moves to the new ``seq``. The files in
        ``message.attachments`` become attached to it (``kind="message"``,
        ``space_id`` the room) in the same write; raises ``NotAttachable``, storing
        nothing and using no ``seq``, when one is attached elsewhere or not the author's.
        ``mention_ids``: the people it mentions (named, and the teachers for ``@teachers``), counted
        by :meth:`ClassroomStore.mention_count`.

        Every later change to a stored message (``edit_message``, ``delete_message``,
        ``hide_message``, the classroom features, retention, erasure) takes the room's next ``rev``
        in the same write: :meth:`ClassroomStore.changes_after` lists them.
        """

    async def get_message(self, room_id: str, message_id: str) -> Message | None: ...

    async def find_message(self, room_id: str, author_id: str, client_id: str) -> Message | None:
        """The author's message with this ``client_id`` in the room, if it was stored."""

    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[Message]:
        """Messages with ``seq > after_seq`` in ascending order, at most ``limit``."""

    async def messages_before(self, room_id: str, before_seq: int | None, limit: int) -> list[Message]:
        """The ``limit`` messages just before ``before_seq`` (or the latest), in ascending order."""

    async def edit_message(self, room_id: str, message_id: str, text: str, at: str) -> Message | None:
        """Replace the text of a message that is not deleted; None otherwise."""

    async def delete_message(self, room_id: str, message_id: str, by: str, at: str, *,
                             audit: AuditEntry | None = None) -> Message | None:
        """Make a message a tombstone (no text, same seq); None when there is no such message.

        ``audit``: a moderator deleted someone else's message; recorded with the change.
        """

    async def hide_message(self, room_id: str, message_id: str, hidden: bool, by: str, at: str, *,
                           audit: AuditEntry | None = None) -> Message | None:
        """Hide a message that is not deleted from the members (or show it again); it keeps its text
        and seq. None when there is no such message, or it is deleted."""

    async def last_seq(self, room_id: str) -> int: ...

    async def read_marker(self, room_id: str, user_id: str) -> int:
        """The last ``seq`` the user has read in the room (0 when none)."""

    async def mark_read(self, room_id: str, user_id: str, seq: int) -> int:
        """Move the read marker forward to ``seq`` (never back); return the marker."""

    async def projects_with_retention(self, after_id: str, limit: int) -> list[Project]:
        """Projects with any retention period (chat, forum, mail or files), or with files marked expired
        still to delete (a sweep cut off before it ended them), by id, after ``after_id`` (a cursor)."""

    async def expire_messages(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        """Make up to ``limit`` messages of the project created before the cut-off, not tombstones yet,
        tombstones (``deleted_by`` "retention": no text, author name or attachments; same seq), in one
        write; their files are marked expired first (see :class:`RetentionStore`). Returns how many
        this call made (0: none left); several callers at once each make a message a tombstone once."""


class ForumStore(Protocol):
    """Forum threads and posts, and each member's read marker per thread."""

    async def create_thread(self, thread: Thread) -> Thread:
        """Store a new thread; it becomes the forum's most recent activity.

        The files in ``thread.attachments`` become attached to it (``kind="thread"``,
        ``space_id`` the forum) in the same write; raises ``NotAttachable``, storing
        nothing, when one is attached elsewhere or not the author's.
        """

    async def get_thread(self, thread_id: str) -> Thread | None: ...

    async def list_threads(self, forum_id: str, after: tuple[int, int] | None,
                           limit: int) -> list[tuple[Thread, int]]:
        """Threads not deleted, pinned first then latest activity first, with each one's activity order.

        ``after`` is the (pinned, activity order) of the last thread of the previous page.
        """

    async def update_thread(self, thread_id: str, changes: dict[str, Any], *,
                            audit: AuditEntry | None = None) -> Thread | None:
        """Apply ``changes`` to a thread that is not deleted (recording ``audit`` with it); None otherwise."""

    async def add_post(self, post: Post) -> Post | None:
        """Store a post with the thread's next ``seq`` and bump the thread's activity, atomically.

        None when the thread is locked or deleted. The author's read marker moves to the post.
        The files in ``post.attachments`` become attached to it (``kind="post"``, ``space_id``
        the forum) in the same write; raises ``NotAttachable``, storing nothing, when one is
        attached elsewhere or not the author's. (A locked thread wins: None, nothing attached.)
        """

    async def get_post(self, post_id: str) -> Post | None: ...

    async def list_posts(self, thread_id: str, after_seq: int, limit: int) -> list[Post]: ...

    async def update_post(self, post_id: str, changes: dict[str, Any], *,
                          audit: AuditEntry | None = None) -> Post | None:
        """Apply ``changes`` to a post that is not deleted (recording ``audit`` with it); None otherwise."""

    async def thread_markers(self, thread_ids: list[str], user_id: str) -> dict[str, int]: ...

    async def mark_thread_read(self, thread_id: str, user_id: str, seq: int) -> int:
        """Move the marker forward to ``seq`` (never back); return it."""


class MailStore(Protocol):
    """Mails, and one copy per person with that person's folder and read state."""

    async def store_mail(self, mail: Mail, copies: list[MailCopy]) -> None:
        """Store a mail with every copy, atomically.

        The files in ``mail.attachments`` become attached to it (``kind="mail"``) in the
        same write; raises ``NotAttachable``, storing nothing, when one is attached
        elsewhere or not the sender's.
        """

    async def get_copy(self, owner_id: str, mail_id: str) -> MailCopy | None:
        """The owner's copy, unless they deleted it."""

    async def list_copies(self, owner_id: str, folder: str, project_id: str | None, before: int | None,
                          limit: int) -> list[tuple[MailCopy, int]]:
        """A folder, newest first, with each copy's order (the cursor); ``before`` is the last order seen."""

    async def update_copy(self, owner_id: str, mail_id: str, changes: dict[str, Any]) -> MailCopy | None: ...

    async def delete_copy(self, owner_id: str, mail_id: str) -> bool:
        """Delete one person's copy; the others keep theirs."""

    async def unread_mail(self, owner_id: str) -> int:
        """Unread copies in the owner's inbox."""

    async def get_mail(self, mail_id: str) -> Mail | None:
        """A mail as sent (or as removed), whoever holds copies of it."""

    async def list_supervised_mail(self, project_id: str, before: int | None,
                                   limit: int) -> list[tuple[Mail, int]]:
        """The project's supervised mails, newest first, with each one's order (the cursor);
        ``before`` is the last order seen."""

    async def conversation_mails(self, project_id: str, conversation_id: str, limit: int) -> list[Mail]:
        """The supervised mails of one conversation of the project, oldest first, at most ``limit``."""

    async def remove_mail(self, mail_id: str, by: str, at: str, audit: AuditEntry | None = None) -> Mail | None:
        """Clear a mail's subject, body and attachments for every copy and mark it removed by ``by``,
        with its ``audit`` entry, atomically. The copies stay in their folders.

        Returns the removed mail; None (nothing stored) when there is no such mail or it was removed already.
        """


class FileStore(Protocol):
    """Records of shared files (their bytes live in the :class:`ObjectStore`).

    Files are attached by the write of the item they are attached to (see the module's notes).
    """

    async def add_file(self, record: FileRecord) -> None: ...

    async def get_file(self, file_id: str) -> FileRecord | None: ...

    async def delete_file(self, file_id: str, *, audit: AuditEntry | None = None) -> bool:
        """Remove a file's record (recording ``audit`` with it); False when there was none."""

    async def project_usage(self, project_id: str) -> int:
        """Bytes of all the project's files."""

    async def reserve_quota(self, reservation_id: str, project_id: str, size: int, quota: int, now: str,
                            expires_at: str) -> bool:
        """Hold ``size`` more bytes of the project's quota under ``reservation_id`` (made, or grown by that much).

        Only while the project's files and its reservations not expired at ``now`` stay within
        ``quota``: False otherwise (and nothing more is held). Atomic, however many instances
        reserve at once: their accepted reservations never sum past the quota. A reservation
        counts until :meth:`release_quota`, or until ``expires_at`` (its upload's process died).
        """

    async def release_quota(self, reservation_id: str) -> None:
        """Let go of a reservation (the upload was stored, so its record counts now, or it failed)."""


class AuditStore(Protocol):
    """The audit log: entries are appended and read, never changed or removed.

    A write that the log records takes the entry as its ``audit`` argument and
    stores it in the same transaction where the store allows (SQLite), else
    right after the change (MongoDB).
    """

    async def append_audit(self, entry: AuditEntry) -> None: ...

    async def list_audit(self, project_id: str, before: int | None, limit: int, *, actor_id: str | None = None,
                         action: str | None = None, target_id: str | None = None) -> list[tuple[AuditEntry, int]]:
        """A project's entries, newest first, with each one's order (the cursor); ``before`` is the last seen."""


class ReportStore(Protocol):
    """Reports: one per person per item, a project's queue, and escalation to the support officers."""

    async def add_report(self, report: Report, audit: AuditEntry | None = None) -> bool:
        """Store a report; False (nothing stored) when its reporter already reported that item.

        The item is ``"<kind>:<item id>"``; automatic reports (no reporter) count as one reporter.
        """

    async def get_report(self, report_id: str) -> Report | None: ...

    async def list_reports(self, project_id: str, state: ReportState | None, before: int | None,
                           limit: int) -> list[tuple[Report, int]]:
        """A project's reports (of one state, or all), newest first, with each one's order (the cursor)."""

    async def list_reports_by(self, reporter_id: str, before: int | None, limit: int) -> list[tuple[Report, int]]:
        """The reports one person made, newest first, with each one's order."""

    async def list_escalated(self, before: int | None, limit: int) -> list[tuple[Report, int]]:
        """Every escalated report, all projects, newest first, with each one's order."""

    async def update_report(self, report_id: str, from_state: ReportState, changes: dict[str, Any],
                            audit: AuditEntry | None = None) -> Report | None:
        """Apply ``changes`` to a report in ``from_state``, with ``audit`` in the same write; None otherwise."""

    async def escalate_due(self, created_before: str, at: str, limit: int) -> list[Report]:
        """Claim up to ``limit`` open reports not yet escalated that are serious or older than the cut-off.

        Each comes back once, with ``escalated_at`` set to ``at``, however many instances ask at once.
        """


class ContactStore(Protocol):
    """Where to tell a teacher of reports while away: the e-mail their portal's token gave."""

    async def remember_contact(self, user_id: str, email: str, lang: str) -> None: ...

    async def contacts(self, user_ids: list[str]) -> dict[str, Contact]:
        """The remembered contacts of those of ``user_ids`` that have one."""


class RetentionStore(Protocol):
    """What the retention sweep and the deletion of ended projects need (:mod:`rooms.retention`).

    Every method does a bounded batch (``limit``) in one write and is safe to call from several
    instances at once: its conditions (not deleted yet, not expired yet) make each item change
    once, and the work left is defined by the cut-off, so a crash loses nothing.

    Files: a file is first *marked* expired (``expired_at``; it is then unreadable and
    unattachable), then its bytes are deleted from the object store, then its record. A crash
    after the mark leaves a marked record, which :meth:`expiring_files` returns again.
    An item's expiry marks its files in the same write (SQLite) or just before it (MongoDB).
    """

    async def set_retention(self, project_id: str, periods: dict[str, int | None], at: str,
                            audit: AuditEntry | None = None) -> Project | None:
        """Set some of the project's retention periods (``chat_retention_days``, ...; None: kept until
        it ends), with ``audit``; None, storing nothing, when there is no such project."""

    async def expire_posts(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        """Make up to ``limit`` posts created before the cut-off tombstones (no body, author name or
        attachments); returns how many this call made."""

    async def expire_threads(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        """Delete up to ``limit`` threads opened before the cut-off whose posts are all tombstones:
        title, body, author name and attachments cleared; returns how many this call deleted."""

    async def expire_mails(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        """Delete up to ``limit`` mails sent before the cut-off, with every copy; returns how many."""

    async def expiring_files(self, project_id: str, at: str, limit: int, *, unattached_before: str | None = None,
                             every_file: bool = False) -> list[FileRecord]:
        """Mark expired the project's unattached files uploaded before ``unattached_before`` (or, with
        ``every_file``, all its files), then return up to ``limit`` of its files marked expired
        (those of earlier calls too: their bytes and record are still to be deleted)."""

    async def projects_to_delete(self, archived_before: str, now: str, limit: int) -> list[Project]:
        """Archived projects, not held, archived before ``archived_before`` and whose announced
        ``delete_after`` is past ``now`` (one without is never listed); oldest first."""

    async def delete_project_batch(self, project_id: str, limit: int) -> int:
        """Delete up to ``limit`` of the project's documents (markers, messages, posts, threads, mails
        and copies, reports, spaces, members; the project itself last, once nothing else is left and
        no file record remains). The audit log stays. Returns how many; 0 when nothing is left."""

    async def set_hold(self, project_id: str, held: bool, reason: str | None, at: str,
                       audit: AuditEntry | None = None) -> Project | None:
        """Hold a project (or release it), with ``audit``; None when there is no such project."""


class PersonStore(Protocol):
    """One person's items in one project, paged for an export and erased in bounded batches.

    The ``*_by`` pages run in id order after ``after_id`` (``""`` for the first page). Each
    ``erase_*`` rewrites at most ``limit`` of the person's items that are not erased yet
    (:mod:`rooms.privacy_models` says what is left of one) and returns how many: an erasure
    cut off halfway is finished by running the same calls again until they return 0.
    """

    async def messages_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Message]:
        """Chat messages the person wrote in the project's rooms, tombstones included."""

    async def threads_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Thread]:
        """Forum threads the person opened, deleted ones included."""

    async def posts_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Post]:
        """Forum posts the person wrote, tombstones included."""

    async def mails_from(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Mail]:
        """Mails the person sent in the project, whoever still holds a copy."""

    async def files_of(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[FileRecord]:
        """Records of the files the person uploaded to the project."""

    async def read_markers_of(self, project_id: str, user_id: str, limit: int) -> list[ReadMarker]:
        """The person's read markers in the project's chat rooms and forum threads, at most ``limit``."""

    async def count_person(self, project_id: str, user_id: str) -> ErasureSummary:
        """How many messages, threads, posts, sent mails, mail copies and files of theirs are not erased
        (``reports`` is left 0: the domain counts those)."""

    async def erase_messages(self, project_id: str, user_id: str, at: str, limit: int) -> int: ...

    async def erase_threads(self, project_id: str, user_id: str, at: str, limit: int) -> int: ...

    async def erase_posts(self, project_id: str, user_id: str, at: str, limit: int) -> int: ...

    async def erase_mails(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        """Empty mails they sent, for every copy (:func:`rooms.privacy_models.erased_mail`)."""

    async def erase_mail_copies(self, project_id: str, user_id: str, limit: int) -> int:
        """Delete their own copies of the project's mails, and their name in the ``to`` of mails they received."""

    async def forget_person(self, project_id: str, user_id: str) -> None:
        """Remove their read markers in the project's rooms and threads, the mentions of them (counted by
        ``mention_count``; each message that named them keeps its place in ``mentions`` with the id
        ``ERASED`` and no name, as its next change), and their remembered contact."""

    async def get_erasure(self, project_id: str, user_id: str) -> ErasureState | None: ...

    async def save_erasure(self, state: ErasureState) -> None:
        """Store (or replace) the erasure of ``state.user_id`` in ``state.project_id``."""

    async def begin_erasure(self, state: ErasureState, audit: AuditEntry | None = None) -> bool:
        """Remove the membership, store ``state`` and record ``audit``, together (SQLite: one transaction;
        MongoDB: in that order, so a retry finds the state). False when there was no membership left.
        Raises ``Conflict("member.last_admin")`` when it would leave the project without an admin."""


class ClassroomStore(Protocol):
    """A room's change feed and the classroom chat features: reactions, pins, polls, seen by, mentions.

    Every write here that changes a message stores it with the room's next ``rev`` in the same write
    and returns it so (SQLite: one transaction; MongoDB: the ``rev`` is drawn, then the message
    written; see ``storage/documents/mongo_classroom.py``).
    """

    async def changes_after(self, room_id: str, after_rev: int, limit: int) -> list[Message]:
        """The current state of each message whose latest change is after ``after_rev``, in ``rev`` order."""

    async def last_rev(self, room_id: str) -> int:
        """The room's latest change number (0 before its first message)."""

    # ---- reactions
    async def react(self, room_id: str, message_id: str, user_id: str, emoji: str, on: bool,
                    at: str) -> tuple[Message, bool] | None:
        """Add (``on``) or take back one person's reaction on a live message, with its counts
        (``Message.reactions``). Returns the message and whether anything changed (a repeat changes
        nothing and takes no ``rev``); None when there is no such live message."""

    async def reactions_of(self, room_id: str, message_id: str) -> list[tuple[str, str]]:
        """(emoji, user id) of each reaction on a message, oldest first."""

    async def my_reactions(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[str]]:
        """One person's reactions on these messages: message id -> emojis (messages without any left out)."""

    async def erase_reactions(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        """Take back up to ``limit`` of a person's reactions in a project (their counts follow, each
        message its next ``rev``); how many were taken back (0: none left)."""

    # ---- pins
    async def pin_message(self, room_id: str, message_id: str, pinned: bool, by: str, at: str,
                          max_pins: int, *, audit: AuditEntry | None = None) -> Message | None:
        """Pin or unpin a live message (and record ``audit`` with it). Raises ``Conflict("chat.pins_full",
        max=...)`` when the room has ``max_pins`` pinned already; pinning a pinned message (or unpinning
        one that is not) changes nothing and records nothing. None when there is no such live message."""

    async def pinned_messages(self, room_id: str) -> list[Message]:
        """The room's pinned messages, most recently pinned first."""

    # ---- polls (a poll is a message whose ``poll`` is set; it is stored with append_message)
    async def vote(self, room_id: str, message_id: str, user_id: str, choices: list[int],
                   at: str) -> tuple[Message, list[int]] | None:
        """Replace one person's vote (an empty list takes it back) and the poll's counts. Raises
        ``Conflict("chat.poll_closed")`` when the poll is closed. None when there is no such live poll."""

    async def close_poll(self, room_id: str, message_id: str, at: str, *,
                         audit: AuditEntry | None = None) -> Message | None:
        """Close an open poll (and store ``audit``, a teacher's closing, with it); None when there is no
        such open poll (nothing is stored)."""

    async def polls_due(self, at: str, limit: int) -> list[Message]:
        """Open polls whose ``closes_at`` is at or before ``at``, soonest first."""

    async def poll_votes(self, room_id: str, message_id: str) -> list[tuple[str, list[int]]]:
        """(user id, choices) of each vote in a poll, oldest first."""

    async def my_votes(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[int]]:
        """One person's choices in these polls: message id -> option indexes."""

    async def erase_votes(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        """Take back up to ``limit`` of a person's votes in a project (counts follow); how many."""

    # ---- seen by and mentions
    async def read_markers(self, room_id: str) -> dict[str, int]:
        """Every read marker of a room: user id -> the last seq they read (one query, whatever the size)."""

    async def latest_written(self, room_id: str, limit: int) -> list[Written]:
        """(seq, author, deleted) of the room's ``limit`` latest messages, tombstones too, in ascending
        order: what the live seen counts need, read without loading the messages themselves."""

    async def mention_count(self, room_id: str, user_id: str, after_seq: int) -> int:
        """Messages after ``after_seq`` that mention ``user_id``."""


class SearchStore(Protocol):
    """Full-text search over what the document store holds, kept in step with every write.

    What is found: chat messages (their text), threads (title and body), posts (body), mails (subject
    and body), files (name). Only live items: no tombstone (deleted, expired, erased), no hidden
    message or post outside ``scope.moderated``, no post of a deleted thread, no mail removed by a
    moderator or whose copy ``scope.mail_owner`` deleted, no expired file. The index follows each
    write, edit, deletion, retention sweep and erasure (SQLite: in the same transaction; MongoDB:
    right after the write, see ``storage/documents/mongo_search.py``).
    """

    async def search(self, scope: SearchScope, query: SearchQuery, limit: int) -> list[SearchHit]:
        """Up to ``limit`` hits in ``scope`` matching ``query``, restricted to it by the query itself:
        messages, threads and posts of ``scope.spaces`` (hidden ones only in ``scope.moderated``);
        mails of which ``scope.mail_owner`` holds a copy; files uploaded by ``scope.files_of``, or
        attached to a message, thread or post of ``scope.spaces``, or to a mail of which
        ``scope.mail_owner`` holds a copy. All of ``query.words`` must match words of the item
        (folded as rooms.search_text.terms; the last one as a prefix when ``query.prefix``).
        ``newest``: by created_at then id, descending, after ``query.after``; ``best``: by relevance
        (SQLite: bm25), skipping ``query.after`` hits, at most ``limits.SEARCH_BEST_MAX`` ranked."""

    async def reindex(self, kind: str, after: str, limit: int) -> tuple[int, str]:
        """Index again up to ``limit`` items of ``kind`` (``SEARCH_KINDS``) whose id is after
        ``after``, in id order; (how many, the last id) — (0, after) once none is left."""

    async def clear_search(self) -> None:
        """Empty the index (``twinspace reindex`` then rebuilds it with :meth:`reindex`)."""


class DocumentStore(ProjectStore, ChatStore, ForumStore, MailStore, FileStore, AuditStore, ReportStore,
                    ContactStore, RetentionStore, PersonStore, ClassroomStore, SearchStore, Protocol):
    """Everything kept as documents: one adapter serves both ports."""


class Presence(Protocol):
    """Who is online in which room; one entry per user however many connections they have."""

    async def enter(self, room_id: str, sid: str, who: PresenceEntry) -> bool:
        """Record a connection in a room; True when the user was not online there before."""

    async def leave(self, room_id: str, sid: str) -> PresenceEntry | None:
        """Forget a connection; the user's entry when that was their last connection there."""

    async def rooms_of(self, sid: str) -> list[str]: ...

    async def online(self, room_id: str) -> list[PresenceEntry]: ...

    async def evict(self, room_id: str, user_id: str) -> list[str]:
        """Forget every connection of a user in a room, on any instance; return their sids."""

    async def user_connected(self, sid: str, user_id: str) -> None:
        """Record an open connection of a person (whatever rooms it joins)."""

    async def user_disconnected(self, sid: str) -> None:
        """Forget a closed connection."""

    async def connected(self, user_ids: list[str]) -> set[str]:
        """Those of ``user_ids`` with an open connection on any instance."""


class Notifier(Protocol):
    """Where e-mail notices leave (``storage/notify/``): one message to one address, or an error raised."""

    async def send(self, to: str, subject: str, body: str) -> None: ...


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_secs: float) -> float:
        """Count one event; 0 when within ``limit`` per ``window_secs``, else seconds until allowed."""

    async def refund(self, key: str) -> None:
        """Take back the newest event counted for ``key`` (it turned out not to count: a retry)."""

    async def forget(self, key: str) -> None:
        """Drop everything counted for ``key`` (an erased person's state)."""


class ObjectStore(Protocol):
    """File bytes, addressed by key (``<project_id>/<file_id>``).

    Adapters never hold a whole file in memory: bytes stream in and out in
    chunks. Driver errors become ``Unavailable``; a missing key ``NotFound``
    (code ``file.not_found``).
    """

    async def put(self, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        """Store the bytes under ``key`` and return their size. All or nothing: when ``chunks``
        raises (an upload cut off, a limit hit), nothing is left under ``key``."""

    def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes ``start`` to ``end`` (exclusive; None: to the end) of ``key``."""

    async def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens when it is absent."""

    async def exists(self, key: str) -> bool: ...

    async def presigned_url(self, key: str, expires_secs: int, filename: str, content_type: str) -> str | None:
        """A short-lived URL that serves the bytes directly, or None when the store has none."""

    async def ping(self) -> None:
        """Raise ``Unavailable`` when the backend does not answer."""


class Sessions(Protocol):
    """Every person's open connections and the sessions a portal revoked, shared by every instance.

    A connection is ``open``-ed before it is told it is in (so a revocation racing with it
    either sees it or is seen by it) and ``close``-d when it goes.
    """

    async def open(self, user_id: str, sid: str, limit: int) -> bool:
        """Count ``sid`` as ``user_id``'s; False (and not counted) when they already have ``limit``."""
        ...

    async def close(self, user_id: str, sid: str) -> None: ...

    async def sids_of(self, user_id: str) -> list[str]:
        """The Socket.IO ids of ``user_id``'s open connections, on every instance."""
        ...

    async def revoke(self, user_id: str, jti: str | None, at: float, ttl_secs: int) -> None:
        """Refuse, for ``ttl_secs``, ``user_id``'s tokens issued at or before ``at`` (epoch seconds),
        or only the token ``jti`` when given."""
        ...

    async def revoked(self, user_id: str, jti: str | None, iat: float | None) -> bool:
        """Whether a token of ``user_id`` (its ``jti`` and ``iat`` as it carries them) was revoked."""
        ...
