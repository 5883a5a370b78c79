"""Small builders of domain records for the contract suite."""

from __future__ import annotations

from typing import Any

from rooms.chat_models import Message
from rooms.file_models import FileRecord
from rooms.forum_models import Post, Thread
from rooms.ids import new_id, utcnow
from rooms.mail_models import Correspondent, Mail, MailCopy
from rooms.models import Member, Project, Space


def project(status: str = "pending", pid: str | None = None) -> Project:
    now = utcnow()
    return Project(id=pid or new_id("prj"), title="T", description="", subject="S", age_min=10, age_max=12,
                   languages=["en"], status=status, created_by="u1", created_at=now, updated_at=now)  # type: ignore[arg-type]


def member(pid: str, uid: str, role: str = "admin") -> Member:
    return Member(project_id=pid, user_id=uid, role=role, display_name=uid, added_by="u1",  # type: ignore[arg-type]
                  joined_at=utcnow())


def space(pid: str, visibility: str = "members", name: str = "Room") -> Space:
    return Space(id=new_id("spc"), project_id=pid, kind="chat", name=name, visibility=visibility,  # type: ignore[arg-type]
                 created_by="u1", created_at=utcnow())


def message(room: str, author: str = "u1", client_id: str | None = None, text: str = "hi",
            project_id: str = "prj_x", created_at: str | None = None) -> Message:
    return Message(id=new_id("msg"), room_id=room, project_id=project_id, seq=0, client_id=client_id or new_id("c"),
                   author_id=author, author_name=author, text=text, created_at=created_at or utcnow())


def thread(forum: str, title: str = "T", **changes: Any) -> Thread:
    now = utcnow()
    return Thread(id=new_id("thr"), forum_id=forum, project_id="prj_x", title=title, body="b", body_html="<p>b</p>",
                  author_id="u1", author_name="U", created_at=now, last_activity_at=now, **changes)


def post(thread_id: str, forum: str, author: str = "u1") -> Post:
    return Post(id=new_id("pst"), thread_id=thread_id, forum_id=forum, project_id="prj_x", seq=0, body="p",
                body_html="<p>p</p>", author_id=author, author_name=author, created_at=utcnow())


def mail(sender: str, to: list[str], project_id: str = "prj_x") -> tuple[Mail, list[MailCopy]]:
    sent = Mail(id=new_id("mail"), project_id=project_id, conversation_id=new_id("conv"),
                sender=Correspondent(user_id=sender, name=sender), to=[Correspondent(user_id=u, name=u) for u in to],
                subject="s", body="b", body_html="<p>b</p>", created_at=utcnow())
    copies = [MailCopy(mail=sent, owner_id=sender, folder="sent", read=True)]
    copies += [MailCopy(mail=sent, owner_id=u, folder="inbox", read=False) for u in to]
    return sent, copies


def file(project_id: str, owner: str = "u1", size: int = 10) -> FileRecord:
    return FileRecord(id=new_id("fil"), project_id=project_id, owner_id=owner, owner_name=owner, name="a.txt",
                      size=size, content_type="text/plain", sha256="0" * 64, created_at=utcnow())
