"""E-mail notices to teachers: a new report in their project while they are away.

The one place notices are written. A notice never carries the reported content,
nor any pupil's name: only the project's title and a link to its moderation queue.
Each staff member of the project (but the reported person) who has no open
connection on any instance and whose address is known gets one, in their
language (their last connection's: the token's ``lang``, else what the
connection asked for, see ``server/i18n.py``; English when the server has no
catalogue for it). The address is the one the portal's
token gave at the teacher's last connection (:meth:`ReportNotices.remember`),
else the one stored with their membership.

Sending is the caller's to schedule after the answer (a ``Notify`` push); a
failure is logged and nothing else happens.
"""

from __future__ import annotations

import logging

from rooms.errors import TwinspaceError
from rooms.languages import DEFAULT_LANGUAGE, translate
from rooms.models import Member, User
from rooms.ports import DocumentStore, Notifier, Presence
from rooms.report_models import Report

log = logging.getLogger("twinspace.notices")

REMEMBERED_MAX = 10_000  # contacts an instance remembers having written, so a reconnect writes nothing

# The notice in English; its translations are in the catalogues (rooms/languages.py), under these contexts.
MESSAGES = {
    "notice.report.subject": "Twinspace: a new report in “{title}”",
    "notice.report.body": (
        "Hello,\n\nSomething was reported in your project “{title}” on Twinspace.\n"
        "Please open the moderation queue to see it and decide:\n\n{link}\n\n"
        "This e-mail does not contain what was reported; sign in to see it.\n"),
}


async def away_with_address(store: DocumentStore, presence: Presence,
                            staff: list[Member]) -> list[tuple[Member, str, str]]:
    """The staff connected nowhere who have a known address: (member, address, language). The address
    is the one their token last carried (the contacts store), else their membership's."""
    online = await presence.connected([m.user_id for m in staff])
    away = [m for m in staff if m.user_id not in online]
    if not away:
        return []
    contacts = await store.contacts([m.user_id for m in away])
    found = []
    for member in away:
        contact = contacts.get(member.user_id)
        address = contact.email if contact else member.email
        if address:
            found.append((member, address, contact.lang if contact else DEFAULT_LANGUAGE))
    return found


def moderation_link(public_url: str, project_id: str) -> str:
    return f"{public_url.rstrip('/')}/demo/?project={project_id}#moderation"


def notice(lang: str, title: str, link: str) -> tuple[str, str]:
    """(subject, body) of a notice in ``lang`` (English when the server has no catalogue for it)."""
    subject = translate(lang, "notice.report.subject", MESSAGES["notice.report.subject"])
    body = translate(lang, "notice.report.body", MESSAGES["notice.report.body"])
    return subject.format(title=title), body.format(title=title, link=link)


class ReportNotices:
    def __init__(self, store: DocumentStore, presence: Presence, notifier: Notifier | None, public_url: str) -> None:
        self._store = store
        self._presence = presence
        self._notifier = notifier
        self._public_url = public_url
        self._remembered: dict[str, tuple[str, str]] = {}

    @property
    def enabled(self) -> bool:
        return self._notifier is not None

    async def remember(self, user: User, lang: str | None = None) -> None:
        """Keep a teacher's address from their token, and the language of their notices (``lang``, the
        connection's; else the token's), written once per change (not on every connection)."""
        if user.email is None or user.role != "teacher" or self._notifier is None:
            return
        lang = lang or user.lang or DEFAULT_LANGUAGE
        if self._remembered.get(user.id) == (user.email, lang):
            return
        await self._store.remember_contact(user.id, user.email, lang)
        if len(self._remembered) >= REMEMBERED_MAX:
            self._remembered.clear()
        self._remembered[user.id] = (user.email, lang)

    async def report_created(self, report: Report, staff: list[Member]) -> int:
        """Mail each away staff member with a known address; return how many were sent."""
        if self._notifier is None:
            return 0
        away = await away_with_address(self._store, self._presence,
                                       [m for m in staff if m.user_id != report.reported_id])
        if not away:
            return 0
        project = await self._store.get_project(report.project_id)
        title = project.title if project else ""
        link = moderation_link(self._public_url, report.project_id)
        sent = 0
        for member, address, lang in away:
            subject, body = notice(lang, title, link)
            try:
                await self._notifier.send(address, subject, body)
                sent += 1
            except TwinspaceError as exc:
                log.warning("report notice to %s not sent: %s", member.user_id, exc.data.get("detail", exc.code))
        log.info("report %s: %d notice(s) sent to away staff", report.id, sent)
        return sent
