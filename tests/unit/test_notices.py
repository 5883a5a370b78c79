"""E-mail notices: the SMTP adapter against a real SMTP server on loopback, and what a notice says."""

from __future__ import annotations

import pytest

from rooms.errors import Unavailable
from rooms.notices import moderation_link, notice
from storage.notify import open_notifier
from storage.notify.smtp import SmtpNotifier
from tests.support.server import free_port
from tests.support.smtp import mail_catcher


async def test_a_notice_reaches_the_smtp_server() -> None:
    with mail_catcher() as catcher:
        notifier = open_notifier(f"smtp://127.0.0.1:{catcher.port}", "Twinspace <no-reply@example.org>")
        assert notifier is not None
        subject, body = notice("fr", "L'eau dans nos villes", moderation_link("https://ts.example/", "prj_1"))
        await notifier.send("claire@school.example", subject, body)
        got = await catcher.wait_for("claire@school.example")
    assert got.subject == "Twinspace : un nouveau signalement dans « L'eau dans nos villes »"
    assert "https://ts.example/demo/?project=prj_1#moderation" in got.text
    assert got.message["From"] == "Twinspace <no-reply@example.org>"


async def test_an_unreachable_server_is_unavailable() -> None:
    notifier = SmtpNotifier(f"smtp://127.0.0.1:{free_port()}", "no-reply@example.org")
    with pytest.raises(Unavailable):
        await notifier.send("claire@school.example", "s", "b")


def test_no_url_no_notices_and_a_bad_scheme_is_refused() -> None:
    assert open_notifier(None, "x@example.org") is None
    with pytest.raises(ValueError):
        open_notifier("http://mail.example", "x@example.org")


def test_a_notice_is_in_the_teachers_language_else_english() -> None:
    assert notice("de", "Flüsse", "L")[0] == "Twinspace: eine neue Meldung in „Flüsse“"
    assert notice("pl", "Rzeki", "L")[0] == "Twinspace: nowe zgłoszenie w „Rzeki”"
    assert notice("pt", "Rivers", "L")[0] == "Twinspace: a new report in “Rivers”"
    assert "L" in notice("en", "Rivers", "L")[1]
