"""What the transport layer works with once the lifespan has opened it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from rooms.chat import ChatRules, ChatService
from rooms.errors import Unavailable
from rooms.files import FileRules, FileService
from rooms.forum import ForumService
from rooms.mail import MailService
from rooms.ports import DocumentStore, ObjectStore, Presence, RateLimiter
from rooms.projects import ProjectService
from server.auth import TokenVerifier
from server.realtime.fanout import Fanout
from server.settings import Settings

T = TypeVar("T")


def _opened(service: T | None) -> T:
    """A service, or ``backend.unavailable`` before the lifespan opened the stores or after it closed them."""
    if service is None:
        raise Unavailable("backend.unavailable", backend="documents")
    return service


@dataclass
class Runtime:
    """Filled by the lifespan at start, emptied at shutdown; handlers read it."""

    settings: Settings
    verifier: TokenVerifier
    fanout: Fanout
    documents: DocumentStore | None = None
    objects: ObjectStore | None = None
    limiter: RateLimiter | None = None
    fanout_ping: Callable[[], Awaitable[None]] | None = None
    _projects: ProjectService | None = field(default=None, repr=False)
    _chat: ChatService | None = field(default=None, repr=False)
    _forum: ForumService | None = field(default=None, repr=False)
    _mail: MailService | None = field(default=None, repr=False)
    _files: FileService | None = field(default=None, repr=False)

    def attach(self, documents: DocumentStore, objects: ObjectStore, presence: Presence,
               limiter: RateLimiter, fanout_ping: Callable[[], Awaitable[None]]) -> None:
        self.fanout_ping = fanout_ping
        self.documents = documents
        self.objects = objects
        self.limiter = limiter
        self._projects = ProjectService(documents)
        self._files = FileService(documents, objects, self._projects,
                                  FileRules(max_bytes=self.settings.file_max_bytes,
                                            quota_bytes=self.settings.project_quota_bytes))
        rules = ChatRules(rate_messages=self.settings.chat_rate_messages,
                          rate_window_secs=self.settings.chat_rate_window_secs)
        self._chat = ChatService(documents, self._projects, presence, limiter, rules, self._files)
        self._forum = ForumService(documents, self._projects, self._files)
        self._mail = MailService(documents, self._projects, limiter, self.settings.mail_rate_messages,
                                 self.settings.mail_rate_window_secs, self._files)

    def detach(self) -> None:
        self.documents = self.objects = self.limiter = self.fanout_ping = None
        self._projects = self._chat = self._forum = self._mail = self._files = None

    @property
    def projects(self) -> ProjectService:
        return _opened(self._projects)

    @property
    def chat(self) -> ChatService:
        return _opened(self._chat)

    @property
    def forum(self) -> ForumService:
        return _opened(self._forum)

    @property
    def mail(self) -> MailService:
        return _opened(self._mail)

    @property
    def files(self) -> FileService:
        return _opened(self._files)
