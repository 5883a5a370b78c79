"""Typed models of live chat: messages, joins, history, read state, and the event payloads."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from rooms import limits
from rooms.classroom_models import ChatFeatures, Mentioned, Mine, Poll, ReactionCount, SeenCount
from rooms.file_models import FileRef
from rooms.model_base import empty_list
from rooms.models import Model, Space, UserId
from rooms.restriction_models import WriteState

AttachmentIds = Annotated[list[str], Field(max_length=limits.ATTACHMENTS_MAX)]

ClientId = Annotated[str, StringConstraints(min_length=1, max_length=limits.CLIENT_ID_MAX_CHARS,
                                            pattern=r"^[A-Za-z0-9_.:-]+$")]
Seq = Annotated[int, Field(ge=0)]


def plain_text(value: str) -> str:
    """Kept byte for byte: no trimming, no normalisation; refused when blank or not valid Unicode."""
    if not value.strip():
        raise ValueError("text must not be empty or only whitespace")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


ChatText = Annotated[str, StringConstraints(max_length=limits.CHAT_TEXT_MAX_CHARS), AfterValidator(plain_text)]


class Message(Model):
    """A chat message. A deleted message stays as a tombstone: same ``seq``, no text."""

    id: str
    room_id: str
    project_id: str
    seq: int
    client_id: str
    author_id: str | None  # null only in a visitor's view of a pupil's message (rooms.audience)
    author_name: str
    author_role: str | None = None  # the role it was written with; absent on messages stored before
    text: str | None
    reply_to: str | None = None
    attachments: list[FileRef] = empty_list()
    created_at: str
    edited_at: str | None = None
    deleted: bool = False
    deleted_by: str | None = None
    hidden: bool = False  # hidden by a moderator: members see it without text, moderators with
    hidden_by: str | None = None
    # Classroom features (rooms/classroom_models.py). ``rev``: the room's change number of this state.
    rev: int = 0
    reactions: list[ReactionCount] = empty_list()
    pinned: bool = False
    pinned_by: str | None = None
    pinned_at: str | None = None
    poll: Poll | None = None
    mentions: list[Mentioned] = empty_list()
    mentions_teachers: bool = False  # it says @teachers: every teacher who reads the room is mentioned

    @property
    def author(self) -> str:
        """The author's id, which every stored item has (only a visitor's view leaves it out)."""
        assert self.author_id is not None, "a visitor's view is not a stored item"
        return self.author_id


class PresenceEntry(Model):
    """Someone online in a room, as the presence store keeps them (never sent as such: see PresenceView)."""

    user_id: str
    name: str
    role: str


class PresenceView(Model):
    """Someone online in a room, as one audience sees them: the member list's view of that person.

    ``key`` names the person in this room's presence (``presence:update``'s ``left`` lists keys): their
    ``user_id`` for members and staff; for visitors an opaque key per room, and no ``user_id`` for pupils
    (visitors see a pupil's display name and role only, as in the member list).
    """

    key: str
    user_id: str | None
    name: str
    role: str


class RoomJoined(Model):
    room: Space
    online: list[PresenceView]
    unread: int
    last_read_seq: int
    last_seq: int
    messages: list[Message]  # the latest page by seq; or, with since_rev, the changes after it by rev
    has_more: bool
    write_state: WriteState  # whether the member may write now, and why not (muted, read-only, closed...)
    last_rev: int = 0  # the room's latest change: rejoin with since_rev to get every change after it
    pinned: list[Message] = []  # the room's pinned messages, most recently pinned first
    seen: list[SeenCount] = []  # how many have read each message of the page (none when the project turned counts off)
    mine: Mine = Mine()  # the joiner's own reactions and votes on the page's messages
    mentions: int = 0  # messages after the joiner's read marker that mention them (or @teachers, for staff)
    features: ChatFeatures = ChatFeatures()  # the project's reactions and "seen by" choice


class History(Model):
    messages: list[Message]
    has_more: bool
    seen: list[SeenCount] = []
    mine: Mine = Mine()


class Unread(Model):
    room_id: str
    unread: int
    last_read_seq: int
    last_seq: int


class RoomLeft(Model):
    room_id: str


class TypingAck(Model):
    sent: bool  # False: throttled, the others were told a moment ago


class TypingPush(Model):
    room_id: str
    user: PresenceView


class PresenceUpdate(Model):
    """Who came online and who went offline in a room since the last update.

    The whole list is in ``room:join``'s ack; updates carry only the changes,
    so that a class joining at once costs one small push per connection.
    """

    room_id: str
    joined: list[PresenceView]
    left: list[str]  # the keys of those who went offline (see PresenceView)


class RoomJoinIn(Model):
    """Join a room: its latest page; or what came after ``since_seq`` (new messages only); or, better,
    every change after ``since_rev`` (new, edited, deleted, reacted to... in ``rev`` order)."""

    room_id: str
    since_seq: Seq | None = None
    since_rev: Seq | None = None

    @model_validator(mode="after")
    def _one_cursor(self) -> RoomJoinIn:
        if self.since_seq is not None and self.since_rev is not None:
            raise ValueError("give since_seq or since_rev, not both")
        return self


class RoomRefIn(Model):
    room_id: str


class ChatSendIn(Model):
    room_id: str
    client_id: ClientId
    text: ChatText
    reply_to: str | None = None
    attachments: AttachmentIds = empty_list()  # ids of the sender's uploaded files
    mentions: list[UserId] = empty_list(max_length=limits.MENTIONS_PER_MESSAGE_MAX)  # members named @name
    mention_teachers: bool = False  # the text says @teachers


class ChatHistoryIn(Model):
    room_id: str
    before_seq: Seq | None = None
    after_seq: Seq | None = None
    limit: int = Field(default=limits.CHAT_PAGE_DEFAULT, ge=1, le=limits.CHAT_PAGE_MAX)

    @model_validator(mode="after")
    def _one_cursor(self) -> ChatHistoryIn:
        if self.before_seq is not None and self.after_seq is not None:
            raise ValueError("give before_seq or after_seq, not both")
        return self


class ChatEditIn(Model):
    room_id: str
    message_id: str
    text: ChatText


class ChatDeleteIn(Model):
    room_id: str
    message_id: str


class ChatReadIn(Model):
    room_id: str
    seq: Seq


# ---- classroom chat answers that carry messages (rooms/classroom_models.py) ----------------

class PollVoted(Model):
    """A vote's answer: the poll as it is now, and the voter's own choices."""

    message: Message
    choices: list[int]


class MentionPush(Model):
    """Pushed to each person a message mentions (by name, or as one of ``@teachers``)."""

    room_id: str
    project_id: str
    message: Message


class ChangesPage(Model):
    """The current state of every message changed after ``after_rev``, in ``rev`` order: new ones,
    edited, deleted, hidden, reacted to, pinned, voted in. ``last_rev`` is the room's latest."""

    room_id: str
    messages: list[Message]
    has_more: bool
    last_rev: int
    seen: list[SeenCount] = []
    mine: Mine = Mine()
