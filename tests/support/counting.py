"""A document store that counts the port calls made through it, as reads and writes.

It wraps a real adapter (the tests give it a ``SqliteDocumentStore`` on a
file) and forwards every call; only the counting is added. Which calls are
reads and which are writes is the caller's table, so that the test that
owns the table can also check that it names every method of the port.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, cast

from rooms.ports import DocumentStore

Kind = Literal["read", "write"]


class CountingDocumentStore:
    """Forwards to ``inner`` and counts each call of a method named in ``kinds``."""

    def __init__(self, inner: DocumentStore, kinds: Mapping[str, Kind]) -> None:
        self._inner = inner
        self._kinds = kinds
        self.calls: list[str] = []  # method names, in call order (for a failure's message)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        kind = self._kinds.get(name)
        if kind is None:
            if callable(target) and not name.startswith("_"):
                raise AttributeError(f"{name}: a port method with no read/write class in the table")
            return target
        method = cast(Callable[..., Awaitable[Any]], target)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return await method(*args, **kwargs)

        return counted

    def reset(self) -> None:
        self.calls.clear()

    def count(self, kind: Kind) -> int:
        return sum(1 for name in self.calls if self._kinds[name] == kind)

    def summary(self) -> str:
        """``reads: get_space_access x1; writes: append_message x1``."""
        parts = []
        for kind in ("read", "write"):
            names = Counter(n for n in self.calls if self._kinds[n] == kind)
            parts.append(f"{kind}s: " + (", ".join(f"{n} x{c}" for n, c in names.items()) or "none"))
        return "; ".join(parts)

    def as_port(self) -> DocumentStore:
        """This wrapper where the port is expected (it answers every method of it by forwarding)."""
        return cast(DocumentStore, self)
