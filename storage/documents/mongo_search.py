"""Full-text search on MongoDB."""

from __future__ import annotations

from rooms.search_models import SearchHit, SearchQuery, SearchScope
from storage.documents.mongo_audit import AuditCollections
from storage.documents.mongo_base import translated


class SearchCollections(AuditCollections):
    @translated
    async def search(self, scope: SearchScope, query: SearchQuery, limit: int) -> list[SearchHit]:
        raise NotImplementedError  # TODO(search): rooms.ports.SearchStore.search

    @translated
    async def reindex(self, kind: str, after: str, limit: int) -> tuple[int, str]:
        raise NotImplementedError  # TODO(search): rooms.ports.SearchStore.reindex

    @translated
    async def clear_search(self) -> None:
        raise NotImplementedError  # TODO(search): rooms.ports.SearchStore.clear_search
