"""Internal mail between members of a project.

A mail is stored once with one copy per person: the sender's in
``sent``, each recipient's in ``inbox``. Reading, archiving and deleting
change only one person's copy. Replies keep the conversation id of the
mail they answer. Visitors receive mail but never send it; nobody mails
someone outside the project the mail belongs to (pupils reach nobody
outside their projects).

Supervision. Pupils never mail visitors. The project's ``mail_policy``
says whom else they mail: ``teachers_only`` (its admins and teachers) or
``supervised`` (any member but visitors). Every mail a pupil sends or
receives is stored ``supervised``: the project's teachers and admins, of
every partner school, read it in the supervision view, and each reading
is recorded in the audit log. A moderator removes a mail from every copy:
the copies stay in their folders, shown as removed, without subject, body
or files.
"""

from __future__ import annotations

from rooms import cursors, limits
from rooms.audit import entry
from rooms.clock import Clock, stamp, system_clock
from rooms.errors import InvalidRequest, NotFound, RateLimited
from rooms.files import FileService
from rooms.ids import new_id, utcnow
from rooms.mail_models import (
    Correspondent,
    Mail,
    MailConversation,
    MailConversationIn,
    MailCopy,
    MailListIn,
    MailPage,
    MailRemoveIn,
    MailSendIn,
    MailSupervisedIn,
    MailUnread,
    SupervisedMailPage,
)
from rooms.markup import render
from rooms.models import Member, User
from rooms.ports import DocumentStore, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.wordfilter import screen


class MailService:
    def __init__(self, store: DocumentStore, projects: ProjectService, limiter: RateLimiter,
                 rate_messages: int, rate_window_secs: float, files: FileService, *,
                 clock: Clock = system_clock) -> None:
        self._files = files
        self._clock = clock
        self._store = store
        self._projects = projects
        self._limiter = limiter
        self._rate = (rate_messages, rate_window_secs)

    async def send(self, user: User, data: MailSendIn) -> tuple[Mail, list[str]]:
        """Store a mail and its copies; return it with the recipients' ids."""
        original: Mail | None = None
        if data.reply_to is not None:
            copy = await self._store.get_copy(user.id, data.reply_to)
            if copy is None:
                raise NotFound("mail.not_found")
            original = copy.mail
        project_id = original.project_id if original else data.project_id
        assert project_id is not None
        if data.project_id is not None and data.project_id != project_id:
            raise InvalidRequest("request.invalid", detail="project_id: a reply stays in its mail's project")
        access = await self._projects.access(user, project_id)
        access.check("mail.send")
        screen(access, data.subject, data.body)  # the word filter: content.blocked, or flagged once stored

        to = list(data.to) if data.to is not None else self._reply_recipients(user, original, data.reply_all)
        if user.id in to:
            to.remove(user.id)
        if not to:
            raise InvalidRequest("request.invalid", detail="to: nobody to send to")
        if len(to) > limits.MAIL_RECIPIENTS_MAX:
            raise InvalidRequest("mail.too_many_recipients", limit=limits.MAIL_RECIPIENTS_MAX)
        members = {m.user_id: m for m in await self._store.list_members(project_id, limits.MEMBERS_PAGE_MAX)}
        outside = [uid for uid in to if uid not in members]
        if outside:
            raise InvalidRequest("mail.recipient_not_member", count=len(outside))
        recipients = [members[uid] for uid in to]
        _check_recipients(access, recipients)

        wait = await self._limiter.hit(f"mail:{user.id}", *self._rate)
        if wait > 0:
            raise RateLimited("rate.limited", retry_after_secs=max(1, round(wait + 0.5)))

        subject = data.subject or (f"Re: {original.subject}" if original and not original.subject.startswith("Re: ")
                                   else original.subject if original else "")
        sender_name = access.member.display_name if access.member else user.name
        files = await self._files.attachable(user, project_id, data.attachments)
        mail = Mail(id=new_id("mail"), project_id=project_id, attachments=files,
                    conversation_id=original.conversation_id if original else new_id("conv"),
                    reply_to=original.id if original else None,
                    sender=Correspondent(user_id=user.id, name=sender_name, role=access.role),
                    to=[Correspondent(user_id=uid, name=members[uid].display_name, role=members[uid].role)
                        for uid in to],
                    subject=subject[:limits.MAIL_SUBJECT_MAX_CHARS], body=data.body, body_html=render(data.body),
                    created_at=utcnow(), supervised=_supervised(access, recipients))
        copies = [MailCopy(mail=mail, owner_id=user.id, folder="sent", read=True)]
        copies += [MailCopy(mail=mail, owner_id=uid, folder="inbox", read=False) for uid in to]
        await self._store.store_mail(mail, copies)
        return mail, to

    @staticmethod
    def _reply_recipients(user: User, original: Mail | None, reply_all: bool) -> list[str]:
        assert original is not None
        if reply_all:
            people = [original.sender.id, *(c.id for c in original.to)]
        elif original.sender.id == user.id:
            people = [c.id for c in original.to]  # replying to one's own mail: to the same people
        else:
            people = [original.sender.id]
        return list(dict.fromkeys(p for p in people if p != user.id))

    async def copy(self, user: User, mail_id: str) -> MailCopy:
        """The user's copy, as they see it (``MailCopy.as_owner_sees``)."""
        return (await self._copy(user, mail_id)).as_owner_sees()

    async def _copy(self, user: User, mail_id: str) -> MailCopy:
        copy = await self._store.get_copy(user.id, mail_id)
        if copy is None:
            raise NotFound("mail.not_found")
        return copy

    async def list(self, user: User, query: MailListIn) -> MailPage:
        before = cursors.decode(query.cursor, 1)[0] if query.cursor else None
        rows = await self._store.list_copies(user.id, query.folder, query.project_id, before, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        return MailPage(copies=[c.as_owner_sees() for c, _ in rows], next_cursor=cursors.encode(rows[-1][1]) if more else None)

    async def set_read(self, user: User, mail_id: str, read: bool) -> MailCopy:
        await self._copy(user, mail_id)
        return await self._update(user, mail_id, {"read": read})

    async def move(self, user: User, mail_id: str, folder: str) -> MailCopy:
        copy = await self._copy(user, mail_id)
        is_sender = copy.mail.sender.id == user.id
        if folder != "archived" and folder != ("sent" if is_sender else "inbox"):
            raise InvalidRequest("request.invalid",
                                 detail=f"folder: this copy goes back to {'sent' if is_sender else 'inbox'}")
        return await self._update(user, mail_id, {"folder": folder})

    async def delete(self, user: User, mail_id: str) -> None:
        await self._copy(user, mail_id)
        if not await self._store.delete_copy(user.id, mail_id):
            raise NotFound("mail.not_found")

    async def _update(self, user: User, mail_id: str, changes: dict[str, object]) -> MailCopy:
        updated = await self._store.update_copy(user.id, mail_id, changes)
        if updated is None:
            raise NotFound("mail.not_found")
        return updated.as_owner_sees()

    async def unread(self, user_id: str) -> MailUnread:
        return MailUnread(unread=await self._store.unread_mail(user_id))

    # ---- supervision and moderation --------------------------------------------

    async def supervised(self, user: User, query: MailSupervisedIn) -> SupervisedMailPage:
        """The project's supervised mails, newest first, as sent; the reading is recorded."""
        access = await self._projects.access(user, query.project_id)
        access.check("mail.supervise")
        before = cursors.decode(query.cursor, 1)[0] if query.cursor else None
        rows = await self._store.list_supervised_mail(query.project_id, before, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        mails = [m for m, _ in rows]
        await self._store.append_audit(entry(user, access, query.project_id, "mail.supervise_read", "project",
                                             query.project_id, after={"mail_ids": [m.id for m in mails]},
                                             at=stamp(self._clock())))
        return SupervisedMailPage(mails=mails, next_cursor=cursors.encode(rows[-1][1]) if more else None)

    async def conversation(self, user: User, query: MailConversationIn) -> MailConversation:
        """Every supervised mail of one conversation, oldest first; the reading is recorded."""
        access = await self._projects.access(user, query.project_id)
        access.check("mail.supervise")
        mails = await self._store.conversation_mails(query.project_id, query.conversation_id,
                                                     limits.MAIL_CONVERSATION_MAX)
        if not mails:  # none of it is a pupil's: not for supervision
            raise NotFound("mail.not_found")
        await self._store.append_audit(entry(user, access, query.project_id, "mail.supervise_read", "conversation",
                                             query.conversation_id, after={"mail_ids": [m.id for m in mails]},
                                             at=stamp(self._clock())))
        return MailConversation(mails=mails)

    async def remove(self, user: User, data: MailRemoveIn) -> tuple[Mail, tuple[str, ...]]:
        """A moderator removes a mail from every copy; returns it with the owners to tell (none when it
        was removed already). They may remove a supervised mail, or one they hold a copy of."""
        mail = await self._store.get_mail(data.mail_id)
        if mail is None or (data.project_id is not None and data.project_id != mail.project_id):
            raise NotFound("mail.not_found")
        try:
            access = await self._projects.access(user, mail.project_id)
        except NotFound:
            raise NotFound("mail.not_found") from None
        access.check("mail.moderate")
        if not mail.supervised and await self._store.get_copy(user.id, mail.id) is None:
            raise NotFound("mail.not_found")  # staff mail between others: not theirs to see
        if mail.removed_by is not None:
            return mail, ()
        at = stamp(self._clock())
        audit = entry(user, access, mail.project_id, "mail.remove", "mail", mail.id,
                      note=f"conversation {mail.conversation_id}", at=at)
        removed = await self._store.remove_mail(mail.id, user.id, at, audit=audit)
        if removed is None:  # removed meanwhile by someone else: that removal told the owners
            return (await self._store.get_mail(mail.id) or mail.removed(user.id, at)), ()
        owners = [removed.sender.id, *(c.id for c in removed.to)]
        return removed, tuple(dict.fromkeys(owners))


def _check_recipients(sender: Access, recipients: list[Member]) -> None:
    """Pupils never mail visitors; under ``teachers_only`` they mail only the project's staff."""
    if sender.role != "pupil":
        return
    policy = sender.project.safeguarding.mail_policy
    allowed = ("admin", "teacher") if policy == "teachers_only" else ("admin", "teacher", "pupil")
    refused = [m for m in recipients if m.role not in allowed]
    if refused:
        raise InvalidRequest("mail.recipient_not_allowed", count=len(refused), policy=policy)


def _supervised(sender: Access, recipients: list[Member]) -> bool:
    """A pupil sends it or receives it: the project's teachers may read it."""
    return sender.role == "pupil" or any(m.role == "pupil" for m in recipients)
