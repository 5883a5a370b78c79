"""Socket.IO events of live chat: validate -> domain -> ack, then fan out what was stored."""

from __future__ import annotations

from typing import Any

from rooms import limits
from rooms.chat_models import (
    ChatDeleteIn,
    ChatEditIn,
    ChatHistoryIn,
    ChatReadIn,
    ChatSendIn,
    History,
    Message,
    PresenceEntry,
    RoomJoined,
    RoomJoinIn,
    RoomLeft,
    RoomRefIn,
    TypingAck,
    Unread,
)
from server.realtime.fanout import room_channel
from server.realtime.session import Session


async def room_join(session: Session, data: RoomJoinIn) -> Any:
    chat, fanout = session.runtime.chat, session.runtime.fanout
    await chat.room(session.user, data.room_id)  # refuse before subscribing
    # Subscribe first, then read: a message stored in between arrives twice
    # (page and push, same seq) rather than not at all.
    await fanout.subscribe(session.sid, room_channel(data.room_id))
    try:
        joined = await chat.join(session.user, session.sid, data.room_id, data.since_seq)
    except BaseException:
        await fanout.unsubscribe(session.sid, room_channel(data.room_id))
        raise
    if joined.came_online:
        fanout.presence_changed(data.room_id, joined=joined.who)
    return joined.result


async def room_leave(session: Session, data: RoomRefIn) -> Any:
    chat, fanout = session.runtime.chat, session.runtime.fanout
    await fanout.unsubscribe(session.sid, room_channel(data.room_id))
    gone = await chat.leave(data.room_id, session.sid)
    if gone is not None:
        fanout.presence_changed(data.room_id, left=gone.user_id)
    return RoomLeft(room_id=data.room_id)


async def chat_send(session: Session, data: ChatSendIn) -> Any:
    chat, fanout = session.runtime.chat, session.runtime.fanout
    message, created = await chat.send(session.user, data)
    if created:
        # Stored, then acknowledged (when this returns), then told to the room.
        fanout.after_ack(fanout.message_created(message),
                         fanout.unread(session.user.id, chat.unread_after_send(message), session.sid))
    return message


async def chat_history(session: Session, data: ChatHistoryIn) -> Any:
    return await session.runtime.chat.history(session.user, data)


async def chat_edit(session: Session, data: ChatEditIn) -> Any:
    message = await session.runtime.chat.edit(session.user, data.room_id, data.message_id, data.text)
    session.runtime.fanout.after_ack(session.runtime.fanout.message_edited(message))
    return message


async def chat_delete(session: Session, data: ChatDeleteIn) -> Any:
    message = await session.runtime.chat.delete(session.user, data.room_id, data.message_id)
    session.runtime.fanout.after_ack(session.runtime.fanout.message_deleted(message))
    return message


async def chat_typing(session: Session, data: RoomRefIn) -> Any:
    runtime = session.runtime
    _, access = await runtime.chat.room(session.user, data.room_id, "space.write")
    assert runtime.limiter is not None
    wait = await runtime.limiter.hit(f"typing:{data.room_id}:{session.user.id}", 1, limits.TYPING_THROTTLE_SECS)
    if wait > 0:
        return TypingAck(sent=False)  # throttled: the others were told a moment ago
    who = PresenceEntry(user_id=session.user.id, role=access.role,
                        name=access.member.display_name if access.member else session.user.name)
    await runtime.fanout.typing(data.room_id, who, skip_sid=session.sid)
    return TypingAck(sent=True)


async def chat_read(session: Session, data: ChatReadIn) -> Any:
    unread = await session.runtime.chat.mark_read(session.user, data.room_id, data.seq)
    await session.runtime.fanout.unread(session.user.id, unread, session.sid)
    return unread


async def on_disconnect(session: Session) -> None:
    """Take a closed connection out of every room's presence and tell those rooms."""
    chat, fanout = session.runtime.chat, session.runtime.fanout
    for room_id, entry in await chat.disconnect(session.sid):
        fanout.presence_changed(room_id, left=entry.user_id)


# event -> (payload schema, handler, ack data)
EVENTS = {
    "room:join": (RoomJoinIn, room_join, RoomJoined),
    "room:leave": (RoomRefIn, room_leave, RoomLeft),
    "chat:send": (ChatSendIn, chat_send, Message),
    "chat:history": (ChatHistoryIn, chat_history, History),
    "chat:edit": (ChatEditIn, chat_edit, Message),
    "chat:delete": (ChatDeleteIn, chat_delete, Message),
    "chat:typing": (RoomRefIn, chat_typing, TypingAck),
    "chat:read": (ChatReadIn, chat_read, Unread),
}
