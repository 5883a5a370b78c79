"""Mail actions shared by Socket.IO and REST: domain call, then pushes to the people concerned."""

from __future__ import annotations

from typing import Any

from rooms.mail_models import (
    MailCopy,
    MailDeleted,
    MailListIn,
    MailMoveIn,
    MailPage,
    MailReadIn,
    MailRefIn,
    MailSendIn,
    MailUnread,
    NoPayloadIn,
)
from rooms.models import User
from server.runtime import Runtime


async def _unread(rt: Runtime, user_id: str) -> None:
    await rt.fanout.to_users("mail:unread", await rt.mail.unread(user_id), [user_id])


async def send(rt: Runtime, user: User, data: MailSendIn) -> Any:
    mail, recipients = await rt.mail.send(user, data)
    for uid in recipients:  # each recipient is told about their own copy, on every instance
        await rt.fanout.to_users("mail:received", MailCopy(mail=mail, owner_id=uid, folder="inbox", read=False),
                                 [uid])
        await _unread(rt, uid)
    return MailCopy(mail=mail, owner_id=user.id, folder="sent", read=True)


async def list_folder(rt: Runtime, user: User, data: MailListIn) -> Any:
    return await rt.mail.list(user, data)


async def get(rt: Runtime, user: User, data: MailRefIn) -> Any:
    return await rt.mail.copy(user, data.mail_id)


async def mark_read(rt: Runtime, user: User, data: MailReadIn) -> Any:
    copy = await rt.mail.set_read(user, data.mail_id, data.read)
    await _unread(rt, user.id)  # the user's other tabs update their badge
    return copy


async def move(rt: Runtime, user: User, data: MailMoveIn) -> Any:
    copy = await rt.mail.move(user, data.mail_id, data.folder)
    await _unread(rt, user.id)
    return copy


async def delete(rt: Runtime, user: User, data: MailRefIn) -> Any:
    await rt.mail.delete(user, data.mail_id)
    await _unread(rt, user.id)
    return MailDeleted(mail_id=data.mail_id, deleted=True)


async def unread_count(rt: Runtime, user: User, _: NoPayloadIn) -> Any:
    return await rt.mail.unread(user.id)


# event name -> (payload schema, action, ack data)
ACTIONS = {
    "mail:send": (MailSendIn, send, MailCopy),
    "mail:list": (MailListIn, list_folder, MailPage),
    "mail:get": (MailRefIn, get, MailCopy),
    "mail:read": (MailReadIn, mark_read, MailCopy),
    "mail:move": (MailMoveIn, move, MailCopy),
    "mail:delete": (MailRefIn, delete, MailDeleted),
    "mail:unread_count": (NoPayloadIn, unread_count, MailUnread),
}
