"""A real SMTP server on loopback for tests (aiosmtpd), keeping every message it receives."""

from __future__ import annotations

import asyncio
import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.server import free_port

WAIT_SECS = 10  # every wait in a test is bounded


@dataclass(frozen=True)
class Received:
    to: list[str]
    message: Message

    @property
    def text(self) -> str:
        part = self.message.get_payload(decode=True) if not self.message.is_multipart() else b""
        return (part or b"").decode("utf-8", "replace") if isinstance(part, bytes) else str(part)

    @property
    def subject(self) -> str:
        return str(email.header.make_header(email.header.decode_header(self.message["Subject"] or "")))


class MailCatcher:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if address in r.to]

    async def wait_for(self, address: str, timeout: float = WAIT_SECS) -> Received:
        """The first message to ``address``, waiting for it at most ``timeout`` seconds."""
        async def until() -> Received:
            while not self.to(address):
                await asyncio.sleep(0.02)
            return self.to(address)[0]
        return await asyncio.wait_for(until(), timeout)


@contextmanager
def mail_catcher() -> Iterator[MailCatcher]:
    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    try:
        yield catcher
    finally:
        controller.stop()
