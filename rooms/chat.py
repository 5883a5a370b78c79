"""Live chat: durable, gap-free, resumable.

A message is stored first, with the room's next ``seq`` assigned
atomically by the store; only then is it acknowledged and fanned out (by
the caller, in ``server/realtime/fanout.py``). ``client_id`` makes a
retried send idempotent. A deleted message stays as a tombstone so the
sequence never has holes; a client that sees a gap fetches it by ``seq``.

Unread count: messages after the member's read marker. Sending moves the
author's marker to their own message, so one's own messages never count.

Who may write now (mutes, read-only rooms, chat hours, slow mode) is decided
by :mod:`rooms.safeguarding` on what the room's access read returned. A
message a moderator hid keeps its seq and text; members other than staff get
it without text and files (:func:`redacted`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rooms import audit, limits
from rooms.audience import for_visitors, id_shown
from rooms.chat_models import (
    ChangesPage,
    ChatHistoryIn,
    ChatSendIn,
    History,
    Message,
    PresenceEntry,
    PresenceView,
    RoomJoined,
    Unread,
)
from rooms.classroom_models import ChatChangesIn, ChatFeatures, Mine, SeenCount
from rooms.clock import Clock, stamp, system_clock
from rooms.errors import InvalidRequest, NotFound, RateLimited, TwinspaceError
from rooms.files import FileService
from rooms.ids import new_id, utcnow
from rooms.mentions import NONE, Mentions, resolve
from rooms.models import Space, User
from rooms.ports import DocumentStore, Presence, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.safeguarding import admit_send, check_rate, check_write, write_state
from rooms.seen import seen_counts, shows_counts
from rooms.wordfilter import screen


@dataclass(frozen=True, kw_only=True)
class ChatRules:
    """The chat limits an operator may tune (the rest are in :mod:`rooms.limits`)."""

    rate_messages: int = limits.CHAT_RATE_MESSAGES_DEFAULT
    rate_window_secs: float = limits.CHAT_RATE_WINDOW_SECS_DEFAULT
    edit_rate: int = limits.CHAT_EDIT_RATE_DEFAULT
    edit_rate_window_secs: float = limits.CHAT_EDIT_RATE_WINDOW_SECS_DEFAULT


def guest_key(room_id: str, user_id: str) -> str:
    """The opaque key that names a person in a room's presence for visitors (the same on every instance)."""
    return "prs_" + hashlib.sha256(f"{room_id}\n{user_id}".encode()).hexdigest()[:24]


def presence_view(entry: PresenceEntry, room_id: str, *, guest: bool) -> PresenceView:
    """A person online, as members and staff (``guest`` False) or visitors (True) see them.

    The member list's rule (``rooms.projects._view``): visitors see a pupil's name and role, never their
    id; and every presence key visitors see is opaque, so that ``left`` names no pupil either.
    """
    if not guest:
        return PresenceView(key=entry.user_id, user_id=entry.user_id, name=entry.name, role=entry.role)
    return PresenceView(key=guest_key(room_id, entry.user_id),
                        user_id=entry.user_id if id_shown("visitor", entry.role) else None,
                        name=entry.name, role=entry.role)


def is_guest(access: Access) -> bool:
    """Whether this member hears a room's presence in the visitors' view."""
    return access.role == "visitor"


def redacted(message: Message) -> Message:
    """A hidden message as members see it: in its place (same seq), without its text, files or poll."""
    return message.model_copy(update={"text": None, "attachments": [], "poll": None}) if message.hidden else message


def as_seen(messages: list[Message], access: Access) -> list[Message]:
    """Messages as ``access`` may see them: staff see hidden ones whole (``hidden: true``), others redacted,
    and visitors with the authors as they see them (:mod:`rooms.audience`)."""
    if access.is_staff:
        return messages
    seen = [redacted(m) for m in messages]
    return for_visitors(seen) if access.role == "visitor" else seen


@dataclass(frozen=True)
class Sent:
    """A send's outcome: the message, whether it is new, who it mentions (none on a retry), and the
    project's chat features and title (what the pushes and notices that follow need)."""

    message: Message
    created: bool
    mentions: Mentions
    features: ChatFeatures
    title: str


@dataclass(frozen=True)
class Joined:
    result: RoomJoined
    who: PresenceEntry
    came_online: bool  # the user was not online in the room before: tell the others


class ChatService:
    def __init__(self, store: DocumentStore, projects: ProjectService, presence: Presence,
                 limiter: RateLimiter, rules: ChatRules, files: FileService, *,
                 clock: Clock = system_clock) -> None:
        self._clock = clock
        self._files = files
        self._store = store
        self._projects = projects
        self._presence = presence
        self._limiter = limiter
        self._rules = rules

    async def room(self, user: User, room_id: str, action: str = "space.read") -> tuple[Space, Access]:
        """A chat room the user may ``action`` in."""
        return await self._projects.get_space(user, room_id, action, kind="chat")

    # ---- joining and reading ----------------------------------------------

    async def join(self, user: User, sid: str, room: Space, access: Access, since_seq: int | None,
                   since_rev: int | None = None) -> Joined:
        """Enter a room that :meth:`room` let ``user`` read: its latest page (or what came after
        ``since_seq``, or every change after ``since_rev``), who is online, the unread state, the
        pins, and the page's counts and the joiner's own marks."""
        room_id = room.id
        if since_rev is not None:
            page = await self._store.changes_after(room_id, since_rev, limits.CHANGES_PAGE_MAX + 1)
            has_more = len(page) > limits.CHANGES_PAGE_MAX
            messages = page[:limits.CHANGES_PAGE_MAX]
        elif since_seq is None:
            page = await self._store.messages_before(room_id, None, limits.CHAT_PAGE_DEFAULT + 1)
            has_more = len(page) > limits.CHAT_PAGE_DEFAULT
            messages = page[1:] if has_more else page
        else:
            page = await self._store.messages_after(room_id, since_seq, limits.CHAT_PAGE_MAX + 1)
            has_more = len(page) > limits.CHAT_PAGE_MAX
            messages = page[:limits.CHAT_PAGE_MAX]
        who = PresenceEntry(user_id=user.id, name=access.member.display_name if access.member else user.name,
                            role=access.role)
        came_online = await self._presence.enter(room_id, sid, who)
        markers = await self._markers(room_id, access, messages)
        unread = await self.unread(room_id, user.id, markers)
        online = [presence_view(e, room_id, guest=is_guest(access)) for e in await self._presence.online(room_id)]
        pinned = await self._store.pinned_messages(room_id)
        seen, mine = await self._marks(room_id, user, messages, markers)
        mentions = await self._store.mention_count(room_id, user.id, unread.last_read_seq) if access.member else 0
        return Joined(RoomJoined(room=room, online=online, unread=unread.unread,
                                 last_read_seq=unread.last_read_seq, last_seq=unread.last_seq,
                                 messages=as_seen(messages, access), has_more=has_more,
                                 write_state=write_state(access, room, self._clock()),
                                 last_rev=await self._store.last_rev(room_id), pinned=as_seen(pinned, access),
                                 seen=seen, mine=mine, mentions=mentions,
                                 features=access.project.chat_features), who, came_online)

    async def _markers(self, room_id: str, access: Access, messages: list[Message]) -> dict[str, int] | None:
        """The room's read markers, when a page's "seen by" counts are shown (one read, whatever the size)."""
        if not messages or not shows_counts(access.project.chat_features):
            return None
        return await self._store.read_markers(room_id)

    async def _marks(self, room_id: str, user: User, messages: list[Message],
                     markers: dict[str, int] | None) -> tuple[list[SeenCount], Mine]:
        """A page's "seen by" counts (from ``markers``) and the reader's own reactions and votes (one read
        each, only when the page has reactions or polls)."""
        if not messages:
            return [], Mine()
        seen = seen_counts(markers, messages) if markers is not None else []
        reacted = [m.id for m in messages if m.reactions]
        polls = [m.id for m in messages if m.poll is not None]
        return seen, Mine(reactions=await self._store.my_reactions(room_id, user.id, reacted) if reacted else {},
                          votes=await self._store.my_votes(room_id, user.id, polls) if polls else {})

    async def changes(self, user: User, query: ChatChangesIn) -> ChangesPage:
        """The current state of every message changed after ``query.after_rev``, in ``rev`` order."""
        _, access = await self.room(user, query.room_id)
        page = await self._store.changes_after(query.room_id, query.after_rev, query.limit + 1)
        messages = page[:query.limit]
        seen, mine = await self._marks(query.room_id, user, messages, await self._markers(query.room_id, access, messages))
        return ChangesPage(room_id=query.room_id, messages=as_seen(messages, access), has_more=len(page) > query.limit,
                           last_rev=await self._store.last_rev(query.room_id), seen=seen, mine=mine)

    async def leave(self, room_id: str, sid: str) -> PresenceEntry | None:
        """Forget this connection in the room; the entry when the user is now offline there."""
        return await self._presence.leave(room_id, sid)

    async def disconnect(self, sid: str) -> list[tuple[str, PresenceEntry]]:
        """Forget a closed connection everywhere; (room, entry) for each room the user left."""
        gone = []
        for room_id in await self._presence.rooms_of(sid):
            entry = await self._presence.leave(room_id, sid)
            if entry is not None:
                gone.append((room_id, entry))
        return gone

    async def evict(self, project_id: str, user_id: str) -> dict[str, list[str]]:
        """Someone left a project: forget their connections in its chat rooms; room -> their sids."""
        spaces = await self._store.list_spaces(project_id, ("members", "teachers", "visitors"))
        evicted = {}
        for space in spaces:
            if space.kind == "chat":
                sids = await self._presence.evict(space.id, user_id)
                if sids:
                    evicted[space.id] = sids
        return evicted

    async def history(self, user: User, query: ChatHistoryIn) -> History:
        _, access = await self.room(user, query.room_id)
        if query.after_seq is not None:
            page = await self._store.messages_after(query.room_id, query.after_seq, query.limit + 1)
            messages, has_more = page[:query.limit], len(page) > query.limit
        else:
            page = await self._store.messages_before(query.room_id, query.before_seq, query.limit + 1)
            has_more = len(page) > query.limit
            messages = page[1:] if has_more else page
        seen, mine = await self._marks(query.room_id, user, messages, await self._markers(query.room_id, access, messages))
        return History(messages=as_seen(messages, access), has_more=has_more, seen=seen, mine=mine)

    async def unread(self, room_id: str, user_id: str, markers: dict[str, int] | None = None) -> Unread:
        """The unread state; ``markers``: the room's read markers when already read (one read fewer)."""
        last = await self._store.last_seq(room_id)
        mark = markers.get(user_id, 0) if markers is not None else await self._store.read_marker(room_id, user_id)
        marker = min(mark, last)
        return Unread(room_id=room_id, unread=last - marker, last_read_seq=marker, last_seq=last)

    @staticmethod
    def unread_after_send(message: Message) -> Unread:
        """The author's unread state once their message is stored: their marker is now on it."""
        return Unread(room_id=message.room_id, unread=0, last_read_seq=message.seq, last_seq=message.seq)

    async def mark_read(self, user: User, room_id: str, seq: int) -> Unread:
        unread, _ = await self.read_to(user, room_id, seq)
        return unread

    async def read_to(self, user: User, room_id: str, seq: int) -> tuple[Unread, ChatFeatures]:
        """:meth:`mark_read`, with the project's chat features (do the room's "seen by" counts move?)."""
        _, access = await self.room(user, room_id)
        last = await self._store.last_seq(room_id)
        marker = await self._store.mark_read(room_id, user.id, min(seq, last))  # never moves back
        return (Unread(room_id=room_id, unread=last - marker, last_read_seq=marker, last_seq=last),
                access.project.chat_features)

    # ---- writing -------------------------------------------------------------------

    async def send(self, user: User, data: ChatSendIn) -> tuple[Message, bool]:
        """Store a message; (message, True) when new, (the earlier one, False) on a retry."""
        sent = await self.post(user, data)
        return sent.message, sent.created

    async def post(self, user: User, data: ChatSendIn) -> Sent:
        """:meth:`send`, with who the message mentions (:mod:`rooms.mentions`) and the project's features."""
        room, access = await self.room(user, data.room_id, "space.write")

        def sent(message: Message, created: bool, mentions: Mentions = NONE) -> Sent:
            return Sent(message, created, mentions if created else NONE, access.project.chat_features,
                        access.project.title)
        # A retry (same client_id) gets the stored message back and is not counted by the rate
        # limit. Plain text, the common case, is checked by the store as it appends (then the
        # count is refunded): one read fewer per send. Attachments are checked first, since
        # files already attached (to the stored message) would be refused. The store attaches
        # the files in the same write as the message, so a send that failed left them free.
        earlier = await self._store.find_message(room.id, user.id, data.client_id) if data.attachments else None
        if earlier is not None:
            return sent(earlier, False)
        # Muted, read-only, closed hours, slow mode (rooms/safeguarding.py); a retry is never refused.
        try:
            slow = await admit_send(access, room, self._clock(), self._limiter)
        except TwinspaceError:
            earlier = await self._store.find_message(room.id, user.id, data.client_id)
            if earlier is not None:
                return sent(earlier, False)
            raise
        created = False
        try:
            stored, created, mentions = await self._append(user, access, room, data)
            return sent(stored, created, mentions)
        finally:
            if slow is not None and not created:  # only a stored message counts for slow mode
                await self._limiter.refund(slow)

    async def _append(self, user: User, access: Access, room: Space,
                      data: ChatSendIn) -> tuple[Message, bool, Mentions]:
        """The rest of :meth:`send`, once the sender may write: the rate limit, the checks, the store."""
        key = f"chat:{user.id}"
        wait = await self._limiter.hit(key, self._rules.rate_messages, self._rules.rate_window_secs)
        if wait > 0:
            earlier = await self._store.find_message(room.id, user.id, data.client_id)
            if earlier is not None:
                return earlier, False, NONE
            raise RateLimited("rate.limited", retry_after_secs=max(1, round(wait + 0.5)))
        if data.reply_to is not None:
            target = await self._store.get_message(room.id, data.reply_to)
            if target is None:
                raise InvalidRequest("request.invalid", detail="reply_to: no such message in this room")
        files = await self._files.attachable(user, room.project_id, data.attachments)
        screen(access, data.text)  # the word filter: content.blocked, or flagged once stored
        try:
            mentions = await resolve(self._store, room, user.id, data)  # chat.mention_invalid
        except InvalidRequest:  # a retry is never refused: someone it named may have left since
            earlier = await self._store.find_message(room.id, user.id, data.client_id)
            if earlier is None:
                raise
            await self._limiter.refund(key)  # a retry is not counted
            return earlier, False, NONE
        message = Message(
            id=new_id("msg"), room_id=room.id, project_id=room.project_id, seq=0, client_id=data.client_id,
            author_id=user.id, author_name=access.member.display_name if access.member else user.name,
            author_role=access.role, text=data.text, reply_to=data.reply_to, attachments=files, created_at=utcnow(),
            mentions=mentions.named, mentions_teachers=data.mention_teachers)
        stored, created = await self._store.append_message(message, mentions.user_ids)
        if not created:
            await self._limiter.refund(key)
        return stored, created, mentions

    async def edit(self, user: User, room_id: str, message_id: str, text: str) -> Message:
        room, access = await self.room(user, room_id)
        message = await self._store.get_message(room_id, message_id)
        if message is None or message.deleted:
            raise NotFound("message.not_found")
        access.check("space.edit_own", room.visibility, author_id=message.author_id)
        check_write(access, room, self._clock())
        screen(access, text)
        await check_rate(self._limiter, f"chat-edit:{user.id}", self._rules.edit_rate, self._rules.edit_rate_window_secs)
        edited = await self._store.edit_message(room_id, message.id, text, utcnow())
        if edited is None:
            raise NotFound("message.not_found")
        return edited

    async def delete(self, user: User, room_id: str, message_id: str) -> Message:
        room, access = await self.room(user, room_id)
        message = await self._store.get_message(room_id, message_id)
        if message is None or message.deleted:
            raise NotFound("message.not_found")
        record = None
        if access.check_delete(message.author, room.visibility):  # someone else's: recorded
            record = audit.entry(user, access, room.project_id, "message.delete", "message", message.id,
                                 note=f"room {room.id}, seq {message.seq}, by {message.author_id}")
        deleted = await self._store.delete_message(room_id, message_id, user.id, utcnow(), audit=record)
        if deleted is None:
            raise NotFound("message.not_found")
        return deleted

    async def hide(self, user: User, room_id: str, message_id: str, hidden: bool) -> Message:
        """A moderator hides a message from the members (or shows it again); it keeps its seq and text."""
        room, access = await self.room(user, room_id)
        access.check("space.moderate", room.visibility)
        message = await self._store.get_message(room_id, message_id)
        if message is None or message.deleted:
            raise NotFound("message.not_found")
        at = stamp(self._clock())
        record = audit.entry(user, access, room.project_id, "message.hide" if hidden else "message.unhide",
                             "message", message.id, before={"hidden": message.hidden}, after={"hidden": hidden},
                             note=f"room {room.id}, seq {message.seq}, by {message.author_id}", at=at)
        updated = await self._store.hide_message(room_id, message_id, hidden, user.id, at, audit=record)
        if updated is None:
            raise NotFound("message.not_found")
        return updated

    async def typing(self, user: User, room_id: str) -> PresenceEntry | None:
        """Who is typing, to tell the room; None when they were told a moment ago (throttled)."""
        room, access = await self.room(user, room_id, "space.write")
        check_write(access, room, self._clock())  # who may not write now is not shown typing either
        wait = await self._limiter.hit(f"typing:{room_id}:{user.id}", 1, limits.TYPING_THROTTLE_SECS)
        if wait > 0:
            return None
        return PresenceEntry(user_id=user.id, role=access.role,
                             name=access.member.display_name if access.member else user.name)
