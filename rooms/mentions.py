"""Mentions: ``@name`` of a member and ``@teachers``, checked as a message is sent; the e-mail notices.

A message names the people it mentions by id (``ChatSendIn.mentions``); each must be a member of
the project who may read the room, else the send is refused with ``chat.mention_invalid`` and how
many were not. Visitors are never mentioned: they read the rooms open to them, but a mention asks a
member of the class for their attention and tells them by a push of their own, and a visitor
(a parent, a guest) is no one a pupil's message should reach that way; naming one is refused like
naming someone who cannot read the room. ``@teachers`` (``mention_teachers``) mentions the project's
staff who may read the room. Checking costs one read of the members, and only when the message
mentions someone.

The message keeps who it named (``Message.mentions``: id, display name, role; the fan-out shows
visitors no pupil's id there) and whether it said ``@teachers``; the store keeps one row per person
mentioned (the author left out), which ``room:join`` counts after the joiner's read marker.

E-mail notices (:class:`MentionNotices`): a mentioned teacher with no open connection on any
instance and a known address (the one their token gave, else their membership's) gets a notice in
their language, with the project's title and a link, never the message's text nor who wrote it; at
most one per teacher and room every ``limits.MENTION_NOTICE_EVERY_SECS`` (the rate limiter, so
that holds across instances). Sent after the answer, on a task of its own (a ``Notify`` push).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rooms import limits, policy
from rooms.chat_models import ChatSendIn, Message
from rooms.classroom_models import Mentioned
from rooms.errors import InvalidRequest, TwinspaceError
from rooms.languages import translate
from rooms.models import Member, Space
from rooms.notices import away_with_address
from rooms.ports import DocumentStore, Notifier, Presence, RateLimiter
from rooms.privacy_models import ERASED

log = logging.getLogger("twinspace.notices")

STAFF = ("admin", "teacher")


@dataclass(frozen=True)
class Mentions:
    """What a message's mentions came to: who it names, and who is told (the author left out)."""

    named: list[Mentioned]
    user_ids: tuple[str, ...]  # everyone mentioned, by name or as one of @teachers
    staff: tuple[Member, ...]  # those of them who are staff (the e-mail notices' candidates)


NONE = Mentions([], (), ())


def unmentioned(message: Message, user_id: str) -> Message:
    """``message`` with an erased person's place in its ``mentions`` kept, their id and name gone
    (``rooms.privacy_models.ERASED``, as on what they wrote)."""
    return message.model_copy(update={"mentions": [
        Mentioned(user_id=ERASED, name="", role=m.role) if m.user_id == user_id else m for m in message.mentions]})


def names(message: Message, user_id: str) -> bool:
    return any(m.user_id == user_id for m in message.mentions)


def _reads(member: Member, room: Space) -> bool:
    return member.role != "visitor" and policy.allowed(member.role, "space.read", room.visibility)


async def resolve(store: DocumentStore, room: Space, author_id: str, data: ChatSendIn) -> Mentions:
    """Check ``data``'s mentions against the members (one read, only when it mentions someone)."""
    if not data.mentions and not data.mention_teachers:
        return NONE
    members = {m.user_id: m for m in await store.list_members(room.project_id, limits.MEMBERS_READ_MAX)}
    named = list(dict.fromkeys(data.mentions))
    invalid = [u for u in named if u not in members or not _reads(members[u], room)]
    if invalid:
        raise InvalidRequest("chat.mention_invalid", count=len(invalid))
    people = [members[u] for u in named]
    if data.mention_teachers:
        people += [m for m in members.values() if m.role in STAFF and _reads(m, room)]
    told = {m.user_id: m for m in people if m.user_id != author_id}
    return Mentions([Mentioned(user_id=m.user_id, name=m.display_name, role=m.role) for m in (members[u] for u in named)],
                    tuple(told), tuple(m for m in told.values() if m.role in STAFF))


# The notice in English; its translations are in the catalogues (rooms/languages.py), under these contexts.
MESSAGES = {
    "notice.mention.subject": "Twinspace: you were mentioned in “{title}”",
    "notice.mention.body": (
        "Hello,\n\nSomeone mentioned you in a chat room of your project “{title}” on Twinspace.\n"
        "Open the room to read it:\n\n{link}\n\n"
        "This e-mail does not contain the message; sign in to read it.\n"),
}


def room_link(public_url: str, project_id: str, room_id: str) -> str:
    return f"{public_url.rstrip('/')}/demo/?project={project_id}&room={room_id}"


def notice(lang: str, title: str, link: str) -> tuple[str, str]:
    """(subject, body) of a mention notice in ``lang`` (English when the server has no catalogue for it)."""
    subject = translate(lang, "notice.mention.subject", MESSAGES["notice.mention.subject"])
    body = translate(lang, "notice.mention.body", MESSAGES["notice.mention.body"])
    return subject.format(title=title), body.format(title=title, link=link)


class MentionNotices:
    def __init__(self, store: DocumentStore, presence: Presence, limiter: RateLimiter, notifier: Notifier | None,
                 public_url: str) -> None:
        self._store = store
        self._presence = presence
        self._limiter = limiter
        self._notifier = notifier
        self._public_url = public_url

    @property
    def enabled(self) -> bool:
        return self._notifier is not None

    async def mentioned(self, message: Message, title: str, staff: tuple[Member, ...]) -> int:
        """Mail each mentioned staff member who is away, has a known address and was not told about
        this room lately; return how many were sent."""
        if self._notifier is None or not staff:
            return 0
        away = await away_with_address(self._store, self._presence, list(staff))
        link = room_link(self._public_url, message.project_id, message.room_id)
        sent = 0
        for member, address, lang in away:
            key = f"mention-notice:{member.user_id}:{message.room_id}"
            if await self._limiter.hit(key, 1, limits.MENTION_NOTICE_EVERY_SECS) > 0:
                continue  # told about this room lately: the next sign-in shows the count
            subject, body = notice(lang, title, link)
            try:
                await self._notifier.send(address, subject, body)
                sent += 1
            except TwinspaceError as exc:
                await self._limiter.refund(key)
                log.warning("mention notice to %s not sent: %s", member.user_id, exc.data.get("detail", exc.code))
        return sent
