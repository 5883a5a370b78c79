"""Live chat: durable, gap-free, resumable.

A message is stored first, with the room's next ``seq`` assigned
atomically by the store; only then is it acknowledged and fanned out (by
the caller, in ``server/realtime/fanout.py``). ``client_id`` makes a
retried send idempotent. A deleted message stays as a tombstone so the
sequence never has holes; a client that sees a gap fetches it by ``seq``.

Unread count: messages after the member's read marker. Sending moves the
author's marker to their own message, so one's own messages never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rooms import limits
from rooms.chat_models import (
    ChatHistoryIn,
    ChatSendIn,
    History,
    Message,
    PresenceEntry,
    RoomJoined,
    Unread,
)
from rooms.errors import Conflict, InvalidRequest, NotFound, RateLimited
from rooms.files import FileService
from rooms.ids import new_id, utcnow
from rooms.models import Project, Space, User
from rooms.ports import DocumentStore, Presence, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.wordfilter import screen


@dataclass(frozen=True, kw_only=True)
class ChatRules:
    """The chat limits an operator may tune (the rest are in :mod:`rooms.limits`)."""

    rate_messages: int = limits.CHAT_RATE_MESSAGES_DEFAULT
    rate_window_secs: float = limits.CHAT_RATE_WINDOW_SECS_DEFAULT


@dataclass(frozen=True)
class Joined:
    result: RoomJoined
    who: PresenceEntry
    came_online: bool  # the user was not online in the room before: tell the others


class ChatService:
    def __init__(self, store: DocumentStore, projects: ProjectService, presence: Presence,
                 limiter: RateLimiter, rules: ChatRules, files: FileService) -> None:
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

    async def join(self, user: User, sid: str, room: Space, access: Access, since_seq: int | None) -> Joined:
        """Enter a room that :meth:`room` let ``user`` read: its latest page (or what came after
        ``since_seq``), who is online, the unread state."""
        room_id = room.id
        if since_seq is None:
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
        unread = await self.unread(room_id, user.id)
        return Joined(RoomJoined(room=room, online=await self._presence.online(room_id), unread=unread.unread,
                                 last_read_seq=unread.last_read_seq, last_seq=unread.last_seq,
                                 messages=messages, has_more=has_more), who, came_online)

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
        await self.room(user, query.room_id)
        if query.after_seq is not None:
            page = await self._store.messages_after(query.room_id, query.after_seq, query.limit + 1)
            return History(messages=page[:query.limit], has_more=len(page) > query.limit)
        page = await self._store.messages_before(query.room_id, query.before_seq, query.limit + 1)
        has_more = len(page) > query.limit
        return History(messages=page[1:] if has_more else page, has_more=has_more)

    async def unread(self, room_id: str, user_id: str) -> Unread:
        last = await self._store.last_seq(room_id)
        marker = min(await self._store.read_marker(room_id, user_id), last)
        return Unread(room_id=room_id, unread=last - marker, last_read_seq=marker, last_seq=last)

    @staticmethod
    def unread_after_send(message: Message) -> Unread:
        """The author's unread state once their message is stored: their marker is now on it."""
        return Unread(room_id=message.room_id, unread=0, last_read_seq=message.seq, last_seq=message.seq)

    async def mark_read(self, user: User, room_id: str, seq: int) -> Unread:
        await self.room(user, room_id)
        last = await self._store.last_seq(room_id)
        marker = await self._store.mark_read(room_id, user.id, min(seq, last))  # never moves back
        return Unread(room_id=room_id, unread=last - marker, last_read_seq=marker, last_seq=last)

    # ---- writing -------------------------------------------------------------------

    async def send(self, user: User, data: ChatSendIn) -> tuple[Message, bool]:
        """Store a message; (message, True) when new, (the earlier one, False) on a retry."""
        room, access = await self.room(user, data.room_id, "space.write")
        # A retry (same client_id) gets the stored message back and is not counted by the rate
        # limit. Plain text, the common case, is checked by the store as it appends (then the
        # count is refunded): one read fewer per send. Attachments are checked first, since
        # files already attached (to the stored message) would be refused. The store attaches
        # the files in the same write as the message, so a send that failed left them free.
        earlier = await self._store.find_message(room.id, user.id, data.client_id) if data.attachments else None
        if earlier is not None:
            return earlier, False
        key = f"chat:{user.id}"
        wait = await self._limiter.hit(key, self._rules.rate_messages, self._rules.rate_window_secs)
        if wait > 0:
            earlier = await self._store.find_message(room.id, user.id, data.client_id)
            if earlier is not None:
                return earlier, False
            raise RateLimited("rate.limited", retry_after_secs=max(1, round(wait + 0.5)))
        if data.reply_to is not None:
            target = await self._store.get_message(room.id, data.reply_to)
            if target is None:
                raise InvalidRequest("request.invalid", detail="reply_to: no such message in this room")
        files = await self._files.attachable(user, room.project_id, data.attachments)
        screen(access, data.text)  # the word filter: content.blocked, or flagged once stored
        message = Message(
            id=new_id("msg"), room_id=room.id, project_id=room.project_id, seq=0, client_id=data.client_id,
            author_id=user.id, author_name=access.member.display_name if access.member else user.name,
            text=data.text, reply_to=data.reply_to, attachments=files, created_at=utcnow())
        stored, created = await self._store.append_message(message)
        if not created:
            await self._limiter.refund(key)
        return stored, created

    async def edit(self, user: User, room_id: str, message_id: str, text: str) -> Message:
        room, access = await self.room(user, room_id)
        message = await self._store.get_message(room_id, message_id)
        if message is None or message.deleted:
            raise NotFound("message.not_found")
        access.check("space.edit_own", room.visibility, author_id=message.author_id)
        screen(access, text)
        edited = await self._store.edit_message(room_id, message.id, text, utcnow())
        if edited is None:
            raise NotFound("message.not_found")
        return edited

    async def delete(self, user: User, room_id: str, message_id: str) -> Message:
        room, access = await self.room(user, room_id)
        message = await self._store.get_message(room_id, message_id)
        if message is None or message.deleted:
            raise NotFound("message.not_found")
        if message.author_id == user.id:
            access.check("space.edit_own", room.visibility, author_id=message.author_id)
        else:
            access.check("space.moderate", room.visibility)
        deleted = await self._store.delete_message(room_id, message_id, user.id, utcnow())
        if deleted is None:
            raise NotFound("message.not_found")
        return deleted

    async def typing(self, user: User, room_id: str) -> PresenceEntry | None:
        """Who is typing, to tell the room; None when they were told a moment ago (throttled)."""
        _, access = await self.room(user, room_id, "space.write")
        wait = await self._limiter.hit(f"typing:{room_id}:{user.id}", 1, limits.TYPING_THROTTLE_SECS)
        if wait > 0:
            return None
        return PresenceEntry(user_id=user.id, role=access.role,
                             name=access.member.display_name if access.member else user.name)

    # ---- retention -------------------------------------------------------------------

    async def set_retention(self, user: User, project_id: str, days: int | None) -> Project:
        access = await self._projects.access(user, project_id)
        access.check("project.configure")
        project = await self._store.set_chat_retention(project_id, days, utcnow())
        if project is None:
            raise Conflict("project.bad_state", status=access.project.status)
        return project

    async def enforce_retention(self, now: datetime | None = None) -> int:
        """Make every chat message past its project's retention a tombstone; return how many."""
        now = now or datetime.now(UTC)
        expired, cursor = 0, ""
        while page := await self._store.projects_with_retention(cursor, limits.PROJECTS_PAGE_MAX):
            for project in page:
                assert project.chat_retention_days is not None
                cutoff = now - timedelta(days=project.chat_retention_days)
                stamp = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
                expired += await self._store.expire_messages(project.id, stamp, utcnow())
            cursor = page[-1].id
        return expired
