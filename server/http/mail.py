"""REST endpoints of internal mail; the same actions as the ``mail:*`` events."""

from __future__ import annotations

from typing import Any, Literal

from rooms import limits
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
from rooms.models import Model
from server import wire
from server.actions import mail as actions
from server.http.routing import Call, Endpoint


class ReadBodyIn(Model):
    read: bool = True


class MoveBodyIn(Model):
    folder: Literal["inbox", "archived", "sent"]


async def list_folder(call: Call, _: None) -> Any:
    query = wire.parse(MailListIn, dict(call.request.query_params))
    return await actions.list_folder(call.runtime, call.user, query)


async def send(call: Call, body: MailSendIn) -> Any:
    return await actions.send(call.runtime, call.user, body)


async def unread(call: Call, _: None) -> Any:
    return await actions.unread_count(call.runtime, call.user, NoPayloadIn())


async def get(call: Call, _: None) -> Any:
    return await actions.get(call.runtime, call.user, MailRefIn(mail_id=call.param("mail_id")))


async def mark_read(call: Call, body: ReadBodyIn) -> Any:
    return await actions.mark_read(call.runtime, call.user, MailReadIn(mail_id=call.param("mail_id"), read=body.read))


async def move(call: Call, body: MoveBodyIn) -> Any:
    return await actions.move(call.runtime, call.user, MailMoveIn(mail_id=call.param("mail_id"), folder=body.folder))


async def delete(call: Call, _: None) -> Any:
    return await actions.delete(call.runtime, call.user, MailRefIn(mail_id=call.param("mail_id")))


M = "/mail"
ENDPOINTS = [
    Endpoint("GET", M, list_folder, "A folder of the caller's mail, newest first", response=MailPage,
             query=(("folder", "inbox (default), sent or archived"), ("project_id", "only this project's mail"),
                    ("cursor", "next_cursor of the previous page"), ("limit", f"1 to {limits.MAIL_PAGE_MAX}")),
             tag="mail"),
    Endpoint("POST", M, send, "Send a mail, or reply to one", body=MailSendIn, response=MailCopy, status=201,
             tag="mail"),
    Endpoint("GET", M + "/unread", unread, "How many mails in the inbox are unread", response=MailUnread,
             tag="mail"),
    Endpoint("GET", M + "/{mail_id}", get, "The caller's copy of a mail", response=MailCopy, tag="mail"),
    Endpoint("POST", M + "/{mail_id}/read", mark_read, "Mark one's copy read or unread", body=ReadBodyIn,
             response=MailCopy, tag="mail"),
    Endpoint("POST", M + "/{mail_id}/move", move, "Archive one's copy, or put it back", body=MoveBodyIn,
             response=MailCopy, tag="mail"),
    Endpoint("DELETE", M + "/{mail_id}", delete, "Delete one's own copy; the others keep theirs",
             response=MailDeleted, tag="mail"),
]
