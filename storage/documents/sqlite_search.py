"""Full-text search on SQLite (FTS5)."""

from __future__ import annotations

from rooms.search_models import SearchHit, SearchQuery, SearchScope
from storage.documents.sqlite_base import SqliteBase


class SearchTables(SqliteBase):
    async def search(self, scope: SearchScope, query: SearchQuery, limit: int) -> list[SearchHit]:
        raise NotImplementedError  # TODO(search): rooms.ports.SearchStore.search

    async def reindex(self, kind: str, after: str, limit: int) -> tuple[int, str]:
        raise NotImplementedError  # TODO(search): rooms.ports.SearchStore.reindex

    async def clear_search(self) -> None:
        raise NotImplementedError  # TODO(search): rooms.ports.SearchStore.clear_search
