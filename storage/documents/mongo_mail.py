"""Mail and per-person copies on MongoDB.

The mail's files are claimed first (see ``mongo_files`` for the order and
its window), then the mail document is written, then its copies: a copy
never points at a missing mail. When the copies fail, the write is undone
in the reverse order (copies, claims, mail), so that neither a copy nor a
file ever points at a missing mail; a mail whose copies were not all
written (the process died between the two) is simply not in anyone's
folder.

A mail document carries ``supervised`` and an ``order`` (a counter) for the supervision view.
A moderator's removal rewrites the one mail document, so every copy shows it removed at once.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import PyMongoError

from rooms.audit_models import AuditEntry
from rooms.file_models import Attachment
from rooms.mail_models import Mail, MailCopy
from storage.documents.mongo_base import doc_set, dump, load, translated
from storage.documents.mongo_files import claiming, insert_item, release
from storage.documents.mongo_search import SearchEntries, attached_fields, mail_entry


class MailCollections(SearchEntries):  # the audit entries of its writes follow them
    @translated
    async def store_mail(self, mail: Mail, copies: list[MailCopy]) -> None:
        files = self._c("files")
        async with claiming(files, mail.attachments, mail.sender.id, Attachment(kind="mail", id=mail.id)) as claimed:
            await insert_item(self._c("mails"), {"_id": mail.id, "project_id": mail.project_id,
                                                 "conversation_id": mail.conversation_id,
                                                 "supervised": mail.supervised, "order": await self._next("mails"),
                                                 "doc": dump(mail)})
        try:
            records = []
            for copy in copies:
                records.append({"_id": f"{copy.owner_id}:{mail.id}", "owner_id": copy.owner_id,
                                "mail_id": mail.id, "project_id": mail.project_id, "folder": copy.folder,
                                "read": copy.read, "order": await self._next("mail_copies")})
            await self._c("mail_copies").insert_many(records)
        except PyMongoError:
            await self._c("mail_copies").delete_many({"mail_id": mail.id})
            await release(files, [f.id for f in mail.attachments], mail.id)
            await self._c("mails").delete_one({"_id": mail.id})
            raise
        owners = [c.owner_id for c in copies]
        await self._index("mail", mail.id, mail_entry(mail, owners))
        await self._index_claimed(claimed, attached_fields("mail", None, mail.id, owners))

    async def _copies(self, records: list[dict[str, Any]]) -> list[MailCopy]:
        mails = await (self._c("mails").find({"_id": {"$in": [r["mail_id"] for r in records]}})
                       .limit(len(records)).to_list(None))
        by_id = {m["_id"]: load(Mail, m) for m in mails}
        return [MailCopy(mail=by_id[r["mail_id"]], owner_id=r["owner_id"], folder=r["folder"], read=r["read"])
                for r in records if r["mail_id"] in by_id]

    @translated
    async def get_copy(self, owner_id: str, mail_id: str) -> MailCopy | None:
        record = await self._c("mail_copies").find_one({"_id": f"{owner_id}:{mail_id}"})
        copies = await self._copies([record]) if record else []
        return copies[0] if copies else None

    @translated
    async def list_copies(self, owner_id: str, folder: str, project_id: str | None, before: int | None,
                          limit: int) -> list[tuple[MailCopy, int]]:
        query: dict[str, Any] = {"owner_id": owner_id, "folder": folder}
        if before is not None:
            query["order"] = {"$lt": before}
        if project_id is not None:
            query["project_id"] = project_id
        records = await self._c("mail_copies").find(query).sort([("order", DESCENDING)]).limit(limit).to_list(None)
        orders = {r["mail_id"]: int(r["order"]) for r in records}
        return [(c, orders[c.mail.id]) for c in await self._copies(records)]

    @translated
    async def update_copy(self, owner_id: str, mail_id: str, changes: dict[str, Any]) -> MailCopy | None:
        fields = {k: v for k, v in changes.items() if k in ("folder", "read")}
        if fields:
            await self._c("mail_copies").update_one({"_id": f"{owner_id}:{mail_id}"}, {"$set": fields})
        return await self.get_copy(owner_id, mail_id)

    @translated
    async def delete_copy(self, owner_id: str, mail_id: str) -> bool:
        result = await self._c("mail_copies").delete_one({"_id": f"{owner_id}:{mail_id}"})
        # the mail's entry and its files' no longer list them (the search re-checks the copy meanwhile)
        await self._index_update({"mail_id": mail_id}, {"$pull": {"owners": owner_id}})
        return bool(result.deleted_count)

    @translated
    async def unread_mail(self, owner_id: str) -> int:
        return int(await self._c("mail_copies").count_documents({"owner_id": owner_id, "folder": "inbox",
                                                                 "read": False}))

    @translated
    async def get_mail(self, mail_id: str) -> Mail | None:
        record = await self._c("mails").find_one({"_id": mail_id})
        return load(Mail, record) if record else None

    @translated
    async def list_supervised_mail(self, project_id: str, before: int | None,
                                   limit: int) -> list[tuple[Mail, int]]:
        query: dict[str, Any] = {"project_id": project_id, "supervised": True}
        if before is not None:
            query["order"] = {"$lt": before}
        records = await self._c("mails").find(query).sort([("order", DESCENDING)]).limit(limit).to_list(None)
        return [(load(Mail, r), int(r["order"])) for r in records]

    @translated
    async def conversation_mails(self, project_id: str, conversation_id: str, limit: int) -> list[Mail]:
        records = await (self._c("mails").find({"conversation_id": conversation_id, "project_id": project_id,
                                                 "supervised": True})
                         .sort([("order", ASCENDING)]).limit(limit).to_list(None))
        return [load(Mail, r) for r in records]

    @translated
    async def remove_mail(self, mail_id: str, by: str, at: str, audit: AuditEntry | None = None) -> Mail | None:
        record = await self._c("mails").find_one({"_id": mail_id, "doc.removed_by": None})
        if record is None:
            return None
        left = load(Mail, record).removed(by, at)
        changes = {k: getattr(left, k) for k in ("subject", "body", "body_html", "attachments", "removed_by",
                                                 "removed_at")}
        # Only the call that found it not removed yet writes (and records) the removal.
        record = await self._c("mails").find_one_and_update(
            {"_id": mail_id, "doc.removed_by": None}, {"$set": doc_set(changes)},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._unindex_where({"mail_id": mail_id})  # removed with its files: no entry left
        await self._insert_audit(audit)
        return load(Mail, record)
