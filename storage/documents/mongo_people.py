"""One person's items on MongoDB: paged for an export, erased in bounded batches (:class:`rooms.ports.PersonStore`).

Each item is rewritten by its own single-document update, filtered on the person still being
its author: an erasure cut off between two updates leaves some items erased and the rest
found again by the next run, never half an item. ``begin_erasure`` stores the erasure's state
before it removes the membership, so a retry that finds no membership still finds the state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.file_models import FileRecord
from rooms.forum_models import Post, Thread
from rooms.mail_models import Mail
from rooms.mentions import names, unmentioned
from rooms.privacy_models import (
    ErasureState,
    ErasureSummary,
    ReadMarker,
    erased_mail,
    erased_message,
    erased_post,
    erased_thread,
    unnamed_recipient,
)
from storage.documents.mongo_base import dump, load, translated
from storage.documents.mongo_chat import message_fields, rev_counter
from storage.documents.mongo_projects import ProjectCollections
from storage.documents.mongo_search import SearchEntries, entry_id

M = TypeVar("M", bound=BaseModel)


def _by(field: str, user_id: str, project_field: str, project_id: str, after_id: str) -> dict[str, Any]:
    query: dict[str, Any] = {field: user_id, project_field: project_id}
    if after_id:
        query["_id"] = {"$gt": after_id}
    return query


_MESSAGES = ("messages", "author_id", "project_id")
_THREADS = ("threads", "doc.author_id", "doc.project_id")
_POSTS = ("posts", "doc.author_id", "doc.project_id")
_MAILS = ("mails", "doc.sender.user_id", "project_id")
_FILES = ("files", "owner_id", "project_id")


class PersonCollections(ProjectCollections, SearchEntries):  # begin_erasure removes a membership with remove_member
    async def _person_page(self, cls: type[M], where: tuple[str, str, str], project_id: str, user_id: str,
                           after_id: str, limit: int) -> list[M]:
        name, field, project_field = where
        records = await (self._c(name).find(_by(field, user_id, project_field, project_id, after_id))
                         .sort([("_id", ASCENDING)]).limit(limit).to_list(None))
        return [load(cls, r) for r in records]

    @translated
    async def messages_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Message]:
        return await self._person_page(Message, _MESSAGES, project_id, user_id, after_id, limit)

    @translated
    async def threads_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Thread]:
        return await self._person_page(Thread, _THREADS, project_id, user_id, after_id, limit)

    @translated
    async def posts_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Post]:
        return await self._person_page(Post, _POSTS, project_id, user_id, after_id, limit)

    @translated
    async def mails_from(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Mail]:
        return await self._person_page(Mail, _MAILS, project_id, user_id, after_id, limit)

    @translated
    async def files_of(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[FileRecord]:
        return await self._person_page(FileRecord, _FILES, project_id, user_id, after_id, limit)

    async def _project_spaces(self, project_id: str) -> list[str]:
        records = await self._c("spaces").find({"project_id": project_id}).to_list(None)
        return [r["_id"] for r in records]

    async def _thread_markers(self, project_id: str, user_id: str, limit: int) -> list[dict[str, Any]]:
        markers = await self._c("thread_markers").find({"user_id": user_id}).to_list(None)
        ids = [m["thread_id"] for m in markers]
        threads = await self._c("threads").find({"_id": {"$in": ids}, "doc.project_id": project_id}).to_list(None)
        mine = {t["_id"] for t in threads}
        return sorted((m for m in markers if m["thread_id"] in mine), key=lambda m: str(m["thread_id"]))[:limit]

    @translated
    async def read_markers_of(self, project_id: str, user_id: str, limit: int) -> list[ReadMarker]:
        keys = {f"{room_id}:{user_id}": room_id for room_id in await self._project_spaces(project_id)}
        rooms = await (self._c("read_markers").find({"_id": {"$in": list(keys)}}).sort([("_id", ASCENDING)])
                       .limit(limit).to_list(None))
        markers = [ReadMarker(kind="room", id=keys[r["_id"]], seq=int(r["seq"])) for r in rooms]
        markers += [ReadMarker(kind="thread", id=m["thread_id"], seq=int(m["seq"]))
                    for m in await self._thread_markers(project_id, user_id, limit - len(markers))]
        return markers

    async def _person_count(self, where: tuple[str, str, str], project_id: str, user_id: str) -> int:
        name, field, project_field = where
        return int(await self._c(name).count_documents({field: user_id, project_field: project_id}))

    @translated
    async def count_person(self, project_id: str, user_id: str) -> ErasureSummary:
        return ErasureSummary(
            messages=await self._person_count(_MESSAGES, project_id, user_id),
            threads=await self._person_count(_THREADS, project_id, user_id),
            posts=await self._person_count(_POSTS, project_id, user_id),
            mails=await self._person_count(_MAILS, project_id, user_id),
            mail_copies=int(await self._c("mail_copies").count_documents({"owner_id": user_id,
                                                                          "project_id": project_id})),
            files=await self._person_count(_FILES, project_id, user_id))

    async def _person_erase(self, cls: type[M], where: tuple[str, str, str], project_id: str, user_id: str, limit: int,
                            erased: Callable[[M], M], top: Callable[[M], dict[str, Any]], kind: str) -> int:
        name, field, _ = where
        records = await self._c(name).find(_by(field, user_id, where[2], project_id, "")).limit(limit).to_list(None)
        for record in records:
            item = erased(load(cls, record))
            await self._c(name).update_one({"_id": record["_id"], field: user_id},
                                           {"$set": {"doc": dump(item), **top(item)}})
        # an erased item has no text left to find (a thread keeps its place, not its title; a mail is emptied)
        ids = [r["_id"] for r in records]
        await self._unindex_where({"mail_id": {"$in": ids}} if kind == "mail"  # with the mail's files
                                  else {"_id": {"$in": [entry_id(kind, i) for i in ids]}})
        return len(records)

    @translated
    async def erase_messages(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        async def renumbered(m: Message) -> Message:  # each tombstone is its room's next change (rev)
            return m.model_copy(update={"rev": await self._next(rev_counter(m.room_id))})
        records = await self._c("messages").find(_by("author_id", user_id, "project_id", project_id, "")) \
            .limit(limit).to_list(None)
        for record in records:
            item = await renumbered(erased_message(load(Message, record), at))
            await self._c("messages").update_one(
                {"_id": record["_id"], "author_id": user_id},
                {"$set": {"doc": dump(item), "author_id": item.author_id, "client_id": item.client_id,
                          **message_fields(item)}})
        await self._unindex("message", [r["_id"] for r in records])  # tombstones
        return len(records)

    @translated
    async def erase_threads(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return await self._person_erase(Thread, _THREADS, project_id, user_id, limit, lambda t: erased_thread(t, at),
                                        lambda _: {}, "thread")

    @translated
    async def erase_posts(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return await self._person_erase(Post, _POSTS, project_id, user_id, limit, lambda p: erased_post(p, at),
                                        lambda _: {"deleted": True}, "post")

    @translated
    async def erase_mails(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return await self._person_erase(Mail, _MAILS, project_id, user_id, limit, lambda m: erased_mail(m, at),
                                        lambda _: {}, "mail")

    @translated
    async def erase_mail_copies(self, project_id: str, user_id: str, limit: int) -> int:
        copies = self._c("mail_copies")
        records = await copies.find({"owner_id": user_id, "project_id": project_id}).limit(limit).to_list(None)
        if records:
            await copies.delete_many({"_id": {"$in": [r["_id"] for r in records]}})
            await self._index_update({"project_id": project_id, "owners": user_id}, {"$pull": {"owners": user_id}})
        received = await (self._c("mails").find({"project_id": project_id, "doc.to.user_id": user_id})
                          .limit(limit).to_list(None))
        for record in received:
            mail = unnamed_recipient(load(Mail, record), user_id)
            await self._c("mails").update_one({"_id": record["_id"]}, {"$set": {"doc": dump(mail)}})
        return len(records) + len(received)

    @translated
    async def forget_person(self, project_id: str, user_id: str) -> None:
        rooms = [f"{room_id}:{user_id}" for room_id in await self._project_spaces(project_id)]
        await self._c("read_markers").delete_many({"_id": {"$in": rooms}})
        threads = await self._thread_markers(project_id, user_id, 2**31)
        await self._c("thread_markers").delete_many({"_id": {"$in": [m["_id"] for m in threads]}})
        messages = self._c("messages")
        for record in await messages.find({"project_id": project_id, "mention_ids": user_id}).to_list(None):
            message = load(Message, record)
            if names(message, user_id):  # their id and name go from its mentions, as its next change
                changed = unmentioned(message, user_id).model_copy(
                    update={"rev": await self._next(rev_counter(message.room_id))})
                await messages.update_one({"_id": record["_id"]},
                                          {"$set": {"doc": dump(changed), **message_fields(changed)}})
        await messages.update_many({"project_id": project_id, "mention_ids": user_id},
                                   {"$pull": {"mention_ids": user_id}})
        await self._c("contacts").delete_one({"_id": user_id})

    @translated
    async def get_erasure(self, project_id: str, user_id: str) -> ErasureState | None:
        record = await self._c("erasures").find_one({"_id": f"{project_id}:{user_id}"})
        return load(ErasureState, record) if record else None

    @translated
    async def save_erasure(self, state: ErasureState) -> None:
        key = f"{state.project_id}:{state.user_id}"
        await self._c("erasures").replace_one({"_id": key}, {"_id": key, "doc": dump(state)}, upsert=True)

    async def begin_erasure(self, state: ErasureState, audit: AuditEntry | None = None) -> bool:
        await self.save_erasure(state)
        removed = await self.remove_member(state.project_id, state.user_id, audit)
        if not removed:  # removed meanwhile (or by an earlier run): the erasure is still recorded
            await self._insert_audit(audit)
        return removed
