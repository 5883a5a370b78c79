"""The embedded document store: SQLite in WAL mode, writes on a thread of their own.

One database file holds every document table; each area keeps its queries
in its own module, and this class puts them together behind
:class:`rooms.ports.DocumentStore`.
"""

from __future__ import annotations

from storage.documents.sqlite_audit import AuditTables
from storage.documents.sqlite_chat import ChatTables
from storage.documents.sqlite_contacts import ContactTables
from storage.documents.sqlite_files import FileTables
from storage.documents.sqlite_forum import ForumTables
from storage.documents.sqlite_mail import MailTables
from storage.documents.sqlite_people import PersonTables
from storage.documents.sqlite_polls import PollTables
from storage.documents.sqlite_projects import ProjectTables
from storage.documents.sqlite_reactions import ReactionTables
from storage.documents.sqlite_reports import ReportTables
from storage.documents.sqlite_retention import RetentionTables
from storage.documents.sqlite_search import SearchTables


class SqliteDocumentStore(SearchTables, ReactionTables, PollTables, PersonTables, ProjectTables, ChatTables, ForumTables, MailTables, FileTables, AuditTables,
                          ReportTables, ContactTables, RetentionTables):
    """:class:`rooms.ports.DocumentStore` on SQLite."""
