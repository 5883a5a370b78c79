"""Teachers' remembered contacts on SQLite: one row per person."""

from __future__ import annotations

from rooms.report_models import Contact
from storage.documents.sqlite_base import SqliteBase, _dump, _load

_IN_MAX = 500  # ids per query: under SQLite's bound on parameters, and a project's members fit


class ContactTables(SqliteBase):
    async def remember_contact(self, user_id: str, email: str, lang: str) -> None:
        contact = Contact(user_id=user_id, email=email, lang=lang)
        async with self._transaction() as conn:
            await conn.execute("INSERT INTO contacts (user_id, doc) VALUES (?, ?) "
                               "ON CONFLICT (user_id) DO UPDATE SET doc = excluded.doc", (user_id, _dump(contact)))

    async def contacts(self, user_ids: list[str]) -> dict[str, Contact]:
        found: dict[str, Contact] = {}
        for start in range(0, len(user_ids), _IN_MAX):
            chunk = user_ids[start:start + _IN_MAX]
            marks = ", ".join("?" * len(chunk))
            rows = self._rows(f"SELECT doc FROM contacts WHERE user_id IN ({marks})", chunk)
            for (doc,) in rows:
                contact = _load(Contact, doc)
                found[contact.user_id] = contact
        return found
