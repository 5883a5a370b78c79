"""How many have read each message, and who, from the read markers the room keeps already.

Nothing is written per message or per reader: each member has one read marker per room (the last
``seq`` they read, ``ChatStore.mark_read``), and a message's count is the number of markers at or
past its ``seq``, its author's left out. A page of a room of 1,000 costs one read of the room's
markers, whatever the number of members or messages.

Live counts (``chat:seen``) are computed here and sent by the fan-out, which batches them per room
(``server/realtime/fanout.py``): a class reading at once costs one count per room a second, two reads
(the markers and the latest messages' seqs and authors), not one per reader. The list of names (``chat:seen_by``) costs one read of
the markers and one of the members, whatever the size of the room.

Who sees what is the policy's ``chat.seen_by`` row and the project's ``ChatFeatures.seen_by``:
counts go to everyone who reads the room unless the project turned them ``off``; names to staff,
and to pupils where the project chose ``names_to_members``; visitors never see names.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rooms import limits
from rooms.audience import for_role
from rooms.chat_models import Message
from rooms.classroom_models import ChatFeatures, Person, SeenByIn, SeenByList, SeenCount, SeenCounts, Written
from rooms.errors import Forbidden, NotFound
from rooms.models import User
from rooms.ports import DocumentStore
from rooms.projects import ProjectService


def shows_counts(features: ChatFeatures) -> bool:
    return features.seen_by != "off"


def shows_names_to(role: str, features: ChatFeatures) -> bool:
    """Whether someone acting as ``role`` may list who read a message (the policy allowed the action)."""
    if features.seen_by in ("off", "counts_only") or role == "visitor":
        return False
    return role in ("admin", "teacher") or features.seen_by == "names_to_members"


def seen_count(markers: dict[str, int], ordered: list[int], message: Message | Written) -> int:
    """Readers of ``message`` but its author; ``ordered`` is ``sorted(markers.values())``."""
    at_or_past = len(ordered) - bisect_left(ordered, message.seq)
    author = markers.get(message.author_id or "", 0)
    return at_or_past - (1 if author >= message.seq else 0)


def seen_pairs(markers: dict[str, int], messages: Sequence[Message | Written]) -> tuple[tuple[int, int], ...]:
    """(seq, count) of each live message of ``messages`` (tombstones have none)."""
    ordered = sorted(markers.values())
    return tuple((m.seq, seen_count(markers, ordered, m)) for m in messages if not m.deleted)


def seen_counts(markers: dict[str, int], messages: Sequence[Message | Written]) -> list[SeenCount]:
    """The count of each live message of ``messages`` (tombstones have none)."""
    return _models(seen_pairs(markers, messages))


def _models(pairs: tuple[tuple[int, int], ...]) -> list[SeenCount]:
    # Built without validation (two ints made here): a busy room's 100 counts may be made every second.
    return [SeenCount.model_construct(seq=seq, seen=seen) for seq, seen in pairs]


@dataclass(frozen=True)
class Tally:
    """A room's counts as read, (seq, count) of each live message of its latest: the fan-out compares
    them with what it told last, and makes the push's models (:meth:`counts`) only when one changed.
    Made for every batch, the models cost eight times the counting (a room whose sender had read
    everything before writing changes no count)."""

    room_id: str
    pairs: tuple[tuple[int, int], ...]

    def counts(self) -> SeenCounts:
        return SeenCounts(room_id=self.room_id, counts=_models(self.pairs))


def readers(markers: dict[str, int], message: Message, names: Mapping[str, tuple[str, str]]) -> list[Person]:
    """Who read ``message`` (marker at or past its seq), its author left out, named from ``names``
    (user id -> (display name, role)); readers no longer members are left out. Sorted by name."""
    people = [Person(user_id=uid, name=names[uid][0], role=names[uid][1])
              for uid, seq in markers.items()
              if seq >= message.seq and uid != message.author_id and uid in names]
    return sorted(people, key=lambda p: (p.name.casefold(), p.user_id or ""))


class SeenService:
    """The counts a room's connections are told as read markers move, and who read one message."""

    def __init__(self, store: DocumentStore, projects: ProjectService) -> None:
        self._store = store
        self._projects = projects

    async def tally(self, room_id: str) -> Tally:
        """The counts of the room's latest messages (at most ``SEEN_COUNTS_MAX``): two reads, and
        neither loads a message (a busy room is counted once a second while its members read)."""
        markers = await self._store.read_markers(room_id)
        written = await self._store.latest_written(room_id, limits.SEEN_COUNTS_MAX)
        return Tally(room_id, seen_pairs(markers, written))

    async def seen_by(self, user: User, query: SeenByIn) -> SeenByList:
        """Who read a message, for those the project shows names to (``chat.seen_by_hidden`` otherwise)."""
        room, access = await self._projects.get_space(user, query.room_id, "chat.seen_by", kind="chat")
        if not shows_names_to(access.role, access.project.chat_features):
            raise Forbidden("chat.seen_by_hidden")
        message = await self._store.get_message(room.id, query.message_id)
        if message is None or message.deleted:
            raise NotFound("message.not_found")
        markers = await self._store.read_markers(room.id)
        members = await self._store.list_members(room.project_id, limits.MEMBERS_READ_MAX)
        names = {m.user_id: (m.display_name, m.role) for m in members}
        ordered = sorted(markers.values())
        return for_role(access.role, SeenByList(room_id=room.id, message_id=message.id,
                                                seen=seen_count(markers, ordered, message),
                                                readers=readers(markers, message, names)))
