"""How many have read each message, and who, from the read markers the room keeps already.

Nothing is written per message or per reader: each member has one read marker per room (the last
``seq`` they read, ``ChatStore.mark_read``), and a message's count is the number of markers at or
past its ``seq``, its author's left out. A page of a room of 1,000 costs one read of the room's
markers, whatever the number of members or messages.

Who sees what is the policy's ``chat.seen_by`` row and the project's ``ChatFeatures.seen_by``:
counts go to everyone who reads the room unless the project turned them ``off``; names to staff,
and to pupils where the project chose ``names_to_members``; visitors never see names.
"""

from __future__ import annotations

from bisect import bisect_left

from rooms.chat_models import Message
from rooms.classroom_models import ChatFeatures, SeenCount


def shows_counts(features: ChatFeatures) -> bool:
    return features.seen_by != "off"


def shows_names_to(role: str, features: ChatFeatures) -> bool:
    """Whether someone acting as ``role`` may list who read a message (the policy allowed the action)."""
    if features.seen_by in ("off", "counts_only") or role == "visitor":
        return False
    return role in ("admin", "teacher") or features.seen_by == "names_to_members"


def seen_count(markers: dict[str, int], ordered: list[int], message: Message) -> int:
    """Readers of ``message`` but its author; ``ordered`` is ``sorted(markers.values())``."""
    at_or_past = len(ordered) - bisect_left(ordered, message.seq)
    author = markers.get(message.author_id or "", 0)
    return at_or_past - (1 if author >= message.seq else 0)


def seen_counts(markers: dict[str, int], messages: list[Message]) -> list[SeenCount]:
    """The count of each live message of ``messages`` (tombstones have none)."""
    ordered = sorted(markers.values())
    return [SeenCount(seq=m.seq, seen=seen_count(markers, ordered, m)) for m in messages if not m.deleted]
