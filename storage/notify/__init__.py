"""Where e-mail notices leave: an SMTP server when ``smtp_url`` is set, nowhere otherwise."""

from __future__ import annotations

from urllib.parse import urlsplit

from rooms.ports import Notifier

NOTIFY_SCHEMES = ("smtp", "smtps")


def open_notifier(smtp_url: str | None, mail_from: str) -> Notifier | None:
    """The notifier for ``smtp_url`` (``smtp://user:pass@host:port``, ``smtps://`` for TLS); None when unset."""
    if not smtp_url:
        return None
    if urlsplit(smtp_url).scheme not in NOTIFY_SCHEMES:
        raise ValueError(f"unsupported mail scheme in {smtp_url.split(':', 1)[0]!r}")
    from storage.notify.smtp import SmtpNotifier

    return SmtpNotifier(smtp_url, mail_from)
