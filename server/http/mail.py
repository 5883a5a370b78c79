"""REST endpoints of internal mail; the same actions as the ``mail:*`` events."""

from __future__ import annotations

from typing import Literal

from rooms import limits
from rooms.mail_models import MailSendIn
from rooms.models import Model
from server.actions import mail as a
from server.http.routing import Endpoint


class ReadBodyIn(Model):
    read: bool = True


class MoveBodyIn(Model):
    folder: Literal["inbox", "archived", "sent"]


M = "/mail"
PM = "/projects/{project_id}/mail"
ENDPOINTS = [
    Endpoint("GET", M, a.list_folder, "A folder of the caller's mail, newest first",
             query=(("folder", "inbox (default), sent or archived"), ("project_id", "only this project's mail"),
                    ("cursor", "next_cursor of the previous page"), ("limit", f"1 to {limits.MAIL_PAGE_MAX}")),
             tag="mail"),
    Endpoint("POST", M, a.send, "Send a mail, or reply to one", body=MailSendIn, status=201, tag="mail"),
    Endpoint("GET", M + "/unread", a.unread_count, "How many mails in the inbox are unread", tag="mail"),
    Endpoint("GET", M + "/{mail_id}", a.get, "The caller's copy of a mail", tag="mail"),
    Endpoint("POST", M + "/{mail_id}/read", a.mark_read, "Mark one's copy read or unread", body=ReadBodyIn,
             tag="mail"),
    Endpoint("POST", M + "/{mail_id}/move", a.move, "Archive one's copy, or put it back", body=MoveBodyIn,
             tag="mail"),
    Endpoint("DELETE", M + "/{mail_id}", a.delete, "Delete one's own copy; the others keep theirs", tag="mail"),
    Endpoint("GET", PM + "/supervised", a.supervised,
             "Supervision: every mail a pupil of the project sent or received, newest first (teachers)",
             query=(("cursor", "next_cursor of the previous page"), ("limit", f"1 to {limits.MAIL_PAGE_MAX}")),
             tag="mail"),
    Endpoint("GET", PM + "/conversations/{conversation_id}", a.conversation,
             "Supervision: the supervised mails of one conversation, oldest first (teachers)", tag="mail"),
    Endpoint("DELETE", PM + "/{mail_id}", a.remove,
             "Remove a mail from every copy: it stays listed as removed, without its text or files (teachers)",
             tag="mail"),
]
