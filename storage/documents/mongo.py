"""The production document store: MongoDB through PyMongo's async API.

Same behaviour as the SQLite store (one contract suite runs on both); each
area keeps its queries in its own module.
"""

from __future__ import annotations

from storage.documents.mongo_audit import AuditCollections
from storage.documents.mongo_chat import ChatCollections
from storage.documents.mongo_contacts import ContactCollections
from storage.documents.mongo_files import FileCollections
from storage.documents.mongo_forum import ForumCollections
from storage.documents.mongo_mail import MailCollections
from storage.documents.mongo_people import PersonCollections
from storage.documents.mongo_polls import PollCollections
from storage.documents.mongo_projects import ProjectCollections
from storage.documents.mongo_reactions import ReactionCollections
from storage.documents.mongo_reports import ReportCollections
from storage.documents.mongo_retention import RetentionCollections
from storage.documents.mongo_search import SearchCollections


class MongoDocumentStore(SearchCollections, ReactionCollections, PollCollections, PersonCollections, ProjectCollections, ChatCollections, ForumCollections, MailCollections,
                         FileCollections, ReportCollections, RetentionCollections, AuditCollections,
                         ContactCollections):
    """:class:`rooms.ports.DocumentStore` on MongoDB."""
