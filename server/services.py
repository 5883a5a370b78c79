"""The domain services an action works with, built once by the lifespan.

:class:`Services` is immutable: the lifespan opens the stores, builds it
in one go and hands it to :class:`Opened`, which the transports ask for
it on every request. Before the lifespan has opened the stores and after
it has closed them, asking answers ``backend.unavailable``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from rooms.audit import AuditService
from rooms.chat import ChatRules, ChatService
from rooms.clock import Clock, system_clock
from rooms.erasure import ErasureService
from rooms.errors import Unavailable
from rooms.export import ExportService
from rooms.files import FileRules, FileService
from rooms.forum import ForumRules, ForumService
from rooms.mail import MailService
from rooms.mentions import MentionNotices
from rooms.notices import ReportNotices
from rooms.polls import PollService
from rooms.ports import DocumentStore, Notifier, ObjectStore, Presence, RateLimiter, Sessions
from rooms.projects import ProjectService
from rooms.reactions import ReactionRules, ReactionService
from rooms.reports import ReportRules, ReportService
from rooms.retention import RetentionService
from rooms.safeguarding import SafeguardingService
from rooms.search import SearchService
from rooms.seen import SeenService
from server.settings import Settings


def _memory_sessions() -> Sessions:
    from storage.ephemeral.memory import MemorySessions

    return MemorySessions()


@dataclass(frozen=True, kw_only=True)
class Services:
    """Every domain service over one set of opened backends."""

    settings: Settings
    documents: DocumentStore
    objects: ObjectStore
    limiter: RateLimiter
    fanout_ping: Callable[[], Awaitable[None]]
    clock: Clock
    projects: ProjectService
    chat: ChatService
    forum: ForumService
    mail: MailService
    files: FileService
    audit: AuditService
    safeguarding: SafeguardingService
    presence: Presence
    reports: ReportService
    notices: ReportNotices
    retention: RetentionService
    export: ExportService
    erasure: ErasureService
    reactions: ReactionService
    polls: PollService
    seen: SeenService  # "seen by": the counts pushed as markers move, who read a message
    mention_notices: MentionNotices  # e-mail notices to mentioned teachers who are away
    search: SearchService  # what one may read in a project, found by its words
    sessions: Sessions = field(default_factory=_memory_sessions)  # open connections, revoked sessions

    @classmethod
    def build(cls, settings: Settings, documents: DocumentStore, objects: ObjectStore, presence: Presence,
              limiter: RateLimiter, fanout_ping: Callable[[], Awaitable[None]],
              clock: Clock = system_clock, notifier: Notifier | None = None,
              sessions: Sessions | None = None) -> Services:
        projects = ProjectService(documents, deletion_grace_days=settings.project_deletion_grace_days)
        files = FileService(documents, objects, projects,
                            FileRules(max_bytes=settings.file_max_bytes, quota_bytes=settings.project_quota_bytes))
        rules = ChatRules(rate_messages=settings.chat_rate_messages, rate_window_secs=settings.chat_rate_window_secs,
                          edit_rate=settings.chat_edit_rate, edit_rate_window_secs=settings.chat_edit_rate_window_secs)
        chat = ChatService(documents, projects, presence, limiter, rules, files, clock=clock)
        polls = PollService(documents, projects, limiter, rules, clock=clock)  # polls count as messages
        mail = MailService(documents, projects, limiter, settings.mail_rate_messages,
                           settings.mail_rate_window_secs, files, clock=clock)
        return cls(settings=settings, documents=documents, objects=objects, limiter=limiter,
                   fanout_ping=fanout_ping, clock=clock, projects=projects, chat=chat,
                   forum=ForumService(documents, projects, files, limiter,
                                      ForumRules(rate_posts=settings.forum_rate_posts,
                                                 rate_window_secs=settings.forum_rate_window_secs), clock=clock), mail=mail, files=files,
                   audit=AuditService(documents, projects), safeguarding=SafeguardingService(documents, projects, clock),
                   presence=presence,
                   reports=ReportService(documents, projects, files, limiter,
                                         ReportRules(rate=settings.report_rate,
                                                     rate_window_secs=settings.report_rate_window_secs,
                                                     escalate_after_secs=settings.report_escalate_after_secs),
                                         clock),
                   notices=ReportNotices(documents, presence, notifier, settings.public_url),
                   retention=RetentionService(documents, objects, projects,
                                              grace_days=settings.project_deletion_grace_days, clock=clock),
                   export=ExportService(documents, objects, projects, clock),
                   erasure=ErasureService(documents, objects, projects, limiter, clock), polls=polls,
                   reactions=ReactionService(documents, projects, limiter,
                                             ReactionRules(rate=settings.reaction_rate,
                                                           rate_window_secs=settings.reaction_rate_window_secs),
                                             clock=clock),
                   seen=SeenService(documents, projects),
                   mention_notices=MentionNotices(documents, presence, limiter, notifier, settings.public_url),
                   search=SearchService(documents, projects),
                   sessions=sessions or _memory_sessions())


class Opened:
    """The services while the lifespan has them open; one per application."""

    def __init__(self) -> None:
        self._services: Services | None = None

    def open(self, services: Services) -> None:
        self._services = services

    def close(self) -> None:
        self._services = None

    @property
    def is_open(self) -> bool:
        return self._services is not None

    def get(self) -> Services:
        """The open services, or ``backend.unavailable`` outside the lifespan."""
        if self._services is None:
            raise Unavailable("backend.unavailable", backend="documents")
        return self._services
