"""E-mail notices over SMTP (``aiosmtplib``): one connection per message, with a bound on every wait.

Notices are rare (a report while a teacher is away), so a connection is opened
for each and closed after it; nothing stays open between reports. ``smtps://``
speaks TLS from the start (port 465); ``smtp://`` upgrades with STARTTLS when
the server offers it. Failures leave as ``Unavailable``, which the caller logs.
"""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from rooms.errors import Unavailable

SMTP_TIMEOUT_SECS = 15  # a mail server slower than this is down; the notice is logged as not sent


class SmtpNotifier:
    """:class:`rooms.ports.Notifier` over SMTP."""

    def __init__(self, url: str, mail_from: str) -> None:
        parts = urlsplit(url)
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._from = mail_from

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await aiosmtplib.send(message, hostname=self._host, port=self._port, username=self._user,
                                  password=self._password, use_tls=self._tls, start_tls=False if self._tls else None,
                                  timeout=SMTP_TIMEOUT_SECS)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Unavailable("backend.unavailable", backend="smtp", detail=str(exc)) from exc
