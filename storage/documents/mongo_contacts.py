"""Teachers' remembered contacts on MongoDB: one document per person, keyed by user id."""

from __future__ import annotations

from rooms.report_models import Contact
from storage.documents.mongo_base import MongoBase, dump, load, translated


class ContactCollections(MongoBase):
    @translated
    async def remember_contact(self, user_id: str, email: str, lang: str) -> None:
        contact = Contact(user_id=user_id, email=email, lang=lang)
        await self._c("contacts").replace_one({"_id": user_id}, {"_id": user_id, "doc": dump(contact)}, upsert=True)

    @translated
    async def contacts(self, user_ids: list[str]) -> dict[str, Contact]:
        records = await self._c("contacts").find({"_id": {"$in": user_ids}}).limit(len(user_ids)).to_list(None)
        return {r["_id"]: load(Contact, r) for r in records}
