"""Chat actions: joining rooms, sending, reading, editing; pushes to the room's connections."""

from __future__ import annotations

from typing import Any

from rooms.chat import is_guest, presence_view, redacted
from rooms.chat_models import (
    ChangesPage,
    ChatDeleteIn,
    ChatEditIn,
    ChatHistoryIn,
    ChatReadIn,
    ChatSendIn,
    History,
    MentionPush,
    Message,
    RoomJoined,
    RoomJoinIn,
    RoomLeft,
    RoomRefIn,
    TypingAck,
    TypingPush,
    Unread,
)
from rooms.classroom_models import ChatChangesIn, ChatFeatures
from rooms.seen import shows_counts
from server.actions.base import (
    Context,
    Notify,
    Outcome,
    PresenceChanged,
    Push,
    SeenMoved,
    ToRoom,
    ToUsers,
    action,
    answer,
)
from server.channels import guest_channel, room_channel


@action(RoomJoinIn, RoomJoined)
async def room_join(ctx: Context, data: RoomJoinIn) -> Outcome[Any]:
    conn, chat = ctx.socket(), ctx.services.chat
    room, access = await chat.room(ctx.user, data.room_id)  # refuse before subscribing
    # Subscribe first, then read: a message stored in between arrives twice
    # (page and push, same seq) rather than not at all.
    # Visitors hear the room on a channel of their own: the same pushes, people in the visitors' view.
    channel = guest_channel(data.room_id) if is_guest(access) else room_channel(data.room_id)
    await conn.channels.subscribe(conn.sid, channel)
    try:
        joined = await chat.join(ctx.user, conn.sid, room, access, data.since_seq, data.since_rev)
    except BaseException:
        await conn.channels.unsubscribe(conn.sid, channel)
        raise
    conn.channels.caught_up(channel, joined.result.last_seq)
    pushes = (PresenceChanged(data.room_id, joined=joined.who),) if joined.came_online else ()
    return answer(joined.result, *pushes)


@action(RoomRefIn, RoomLeft)
async def room_leave(ctx: Context, data: RoomRefIn) -> Outcome[Any]:
    conn = ctx.socket()
    await conn.channels.unsubscribe(conn.sid, guest_channel(data.room_id))
    await conn.channels.unsubscribe(conn.sid, room_channel(data.room_id))
    gone = await ctx.services.chat.leave(data.room_id, conn.sid)
    pushes = (PresenceChanged(data.room_id, left=gone.user_id),) if gone is not None else ()
    return answer(RoomLeft(room_id=data.room_id), *pushes)


def _own_unread(ctx: Context, unread: Unread) -> ToUsers:
    """A person's read state moved: told to their other connections (the acting one has its answer)."""
    return ToUsers("room:unread", unread, (ctx.user.id,), skip_sid=ctx.sid)


def seen_moved(ctx: Context, room_id: str, features: ChatFeatures) -> tuple[Push, ...]:
    """A read marker moved in a room: its "seen by" counts are told (batched by the fan-out), unless the
    project turned them off."""
    if not shows_counts(features):
        return ()
    seen = ctx.services.seen
    return (SeenMoved(room_id, lambda: seen.tally(room_id)),)


@action(ChatSendIn, Message)
async def chat_send(ctx: Context, data: ChatSendIn) -> Outcome[Any]:
    services = ctx.services
    chat = services.chat
    sent = await chat.post(ctx.user, data)
    message = sent.message
    if not sent.created:  # a retry: the room (and whoever it mentions) was told the first time
        return answer(message)
    pushes: list[Push] = [ToRoom("chat:message", message, message.room_id),
                          _own_unread(ctx, chat.unread_after_send(message))]
    pushes += seen_moved(ctx, message.room_id, sent.features)  # the author's marker moved to it
    mentions = sent.mentions
    if mentions.user_ids:  # members who read the room, never visitors (rooms/mentions.py)
        pushes.append(ToUsers("chat:mention", MentionPush(room_id=message.room_id, project_id=message.project_id,
                                                          message=redacted(message)), mentions.user_ids))
        if mentions.staff and services.mention_notices.enabled:
            notices, staff, title = services.mention_notices, mentions.staff, sent.title
            pushes.append(Notify(lambda: notices.mentioned(message, title, staff)))
    return answer(message, *pushes)


@action(ChatHistoryIn, History)
async def chat_history(ctx: Context, data: ChatHistoryIn) -> Outcome[Any]:
    return answer(await ctx.services.chat.history(ctx.user, data))


@action(ChatChangesIn, ChangesPage)
async def chat_changes(ctx: Context, data: ChatChangesIn) -> Outcome[Any]:
    """Every change after a ``rev``: what a client that was away catches up with, page by page."""
    return answer(await ctx.services.chat.changes(ctx.user, data))


@action(ChatEditIn, Message)
async def chat_edit(ctx: Context, data: ChatEditIn) -> Outcome[Any]:
    message = await ctx.services.chat.edit(ctx.user, data.room_id, data.message_id, data.text)
    return answer(message, ToRoom("chat:message_edited", redacted(message), message.room_id))  # hidden stays hidden


@action(ChatDeleteIn, Message)
async def chat_delete(ctx: Context, data: ChatDeleteIn) -> Outcome[Any]:
    message = await ctx.services.chat.delete(ctx.user, data.room_id, data.message_id)
    return answer(message, ToRoom("chat:message_deleted", redacted(message), message.room_id))


@action(RoomRefIn, TypingAck)
async def chat_typing(ctx: Context, data: RoomRefIn) -> Outcome[Any]:
    who = await ctx.services.chat.typing(ctx.user, data.room_id)
    if who is None:
        return answer(TypingAck(sent=False))  # throttled: the others were told a moment ago
    return answer(TypingAck(sent=True),
                  ToRoom("chat:typing", TypingPush(room_id=data.room_id, user=presence_view(who, data.room_id, guest=False)),
                         data.room_id, skip_sid=ctx.sid,
                         guest_data=TypingPush(room_id=data.room_id, user=presence_view(who, data.room_id, guest=True))))


@action(ChatReadIn, Unread)
async def chat_read(ctx: Context, data: ChatReadIn) -> Outcome[Any]:
    unread, features = await ctx.services.chat.read_to(ctx.user, data.room_id, data.seq)
    return answer(unread, _own_unread(ctx, unread), *seen_moved(ctx, data.room_id, features))


async def disconnected(ctx: Context) -> tuple[Push, ...]:
    """A connection closed: it leaves every room's presence, and those rooms are told."""
    assert ctx.sid is not None
    return tuple(PresenceChanged(room_id, left=entry.user_id)
                 for room_id, entry in await ctx.services.chat.disconnect(ctx.sid))


ACTIONS = {
    "room:join": room_join,
    "room:leave": room_leave,
    "chat:send": chat_send,
    "chat:history": chat_history,
    "chat:changes": chat_changes,
    "chat:edit": chat_edit,
    "chat:delete": chat_delete,
    "chat:typing": chat_typing,
    "chat:read": chat_read,
}
