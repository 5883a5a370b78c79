"""Mail actions (Socket.IO and REST): pushes go to the people whose copies changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rooms.mail_models import (
    Mail,
    MailConversation,
    MailConversationIn,
    MailCopy,
    MailDeleted,
    MailListIn,
    MailMoveIn,
    MailPage,
    MailReadIn,
    MailRefIn,
    MailRemoved,
    MailRemoveIn,
    MailSendIn,
    MailSupervisedIn,
    MailUnread,
    NoPayloadIn,
    SupervisedMailPage,
)
from server.actions.base import Context, Later, Outcome, Push, ToUsers, action, answer


def _unread_of(ctx: Context, *user_ids: str) -> Later:
    """Each person's inbox badge, counted once the answer has left, to every connection of theirs."""
    mail = ctx.services.mail

    async def make() -> Sequence[Push]:
        return [ToUsers("mail:unread", await mail.unread(uid), (uid,)) for uid in user_ids]
    return Later(make)


@action(MailSendIn, MailCopy)
async def send(ctx: Context, data: MailSendIn) -> Outcome[Any]:
    mail, recipients = await ctx.services.mail.send(ctx.user, data)
    # Each recipient is told about their own copy, on every instance.
    received = [ToUsers("mail:received",
                        MailCopy(mail=mail, owner_id=uid, folder="inbox", read=False).as_owner_sees(), (uid,))
                for uid in recipients]
    return answer(MailCopy(mail=mail, owner_id=ctx.user.id, folder="sent", read=True),
                  *received, _unread_of(ctx, *recipients))


@action(MailListIn, MailPage)
async def list_folder(ctx: Context, data: MailListIn) -> Outcome[Any]:
    return answer(await ctx.services.mail.list(ctx.user, data))


@action(MailRefIn, MailCopy)
async def get(ctx: Context, data: MailRefIn) -> Outcome[Any]:
    return answer(await ctx.services.mail.copy(ctx.user, data.mail_id))


@action(MailReadIn, MailCopy)
async def mark_read(ctx: Context, data: MailReadIn) -> Outcome[Any]:
    copy = await ctx.services.mail.set_read(ctx.user, data.mail_id, data.read)
    return answer(copy, _unread_of(ctx, ctx.user.id))  # the user's other tabs update their badge


@action(MailMoveIn, MailCopy)
async def move(ctx: Context, data: MailMoveIn) -> Outcome[Any]:
    copy = await ctx.services.mail.move(ctx.user, data.mail_id, data.folder)
    return answer(copy, _unread_of(ctx, ctx.user.id))


@action(MailRefIn, MailDeleted)
async def delete(ctx: Context, data: MailRefIn) -> Outcome[Any]:
    await ctx.services.mail.delete(ctx.user, data.mail_id)
    return answer(MailDeleted(mail_id=data.mail_id, deleted=True), _unread_of(ctx, ctx.user.id))


@action(NoPayloadIn, MailUnread)
async def unread_count(ctx: Context, _: NoPayloadIn) -> Outcome[Any]:
    return answer(await ctx.services.mail.unread(ctx.user.id))


@action(MailSupervisedIn, SupervisedMailPage)
async def supervised(ctx: Context, data: MailSupervisedIn) -> Outcome[Any]:
    return answer(await ctx.services.mail.supervised(ctx.user, data))


@action(MailConversationIn, MailConversation)
async def conversation(ctx: Context, data: MailConversationIn) -> Outcome[Any]:
    return answer(await ctx.services.mail.conversation(ctx.user, data))


@action(MailRemoveIn, Mail)
async def remove(ctx: Context, data: MailRemoveIn) -> Outcome[Any]:
    mail, owners = await ctx.services.mail.remove(ctx.user, data)
    # Everyone who holds a copy shows it as removed, on every instance (nobody else learns of it).
    pushes = (ToUsers("mail:removed", MailRemoved(mail_id=mail.id, project_id=mail.project_id), owners),)
    return answer(mail, *(pushes if owners else ()))


ACTIONS = {
    "mail:send": send,
    "mail:list": list_folder,
    "mail:get": get,
    "mail:read": mark_read,
    "mail:move": move,
    "mail:delete": delete,
    "mail:unread_count": unread_count,
    "mail:supervised": supervised,
    "mail:conversation": conversation,
    "mail:remove": remove,
}
