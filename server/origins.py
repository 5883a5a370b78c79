"""Which browser origins may connect, for Socket.IO and REST alike."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from server.settings import Settings

# The embedded default admits any localhost origin: a developer's portal on another port.
LOCALHOST_ORIGIN_RE = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"


class OriginPolicy:
    def __init__(self, settings: Settings) -> None:
        own = urlsplit(settings.public_url)
        self.any = settings.allowed_origins is not None and "*" in settings.allowed_origins
        if settings.allowed_origins is None:
            self.exact: tuple[str, ...] = (f"{own.scheme}://{own.netloc}",)
            self.pattern: str | None = LOCALHOST_ORIGIN_RE
        else:
            self.exact = tuple(o for o in settings.allowed_origins if o != "*")
            self.pattern = None
        self._re = re.compile(self.pattern) if self.pattern else None

    def allows(self, origin: str | None) -> bool:
        """Whether a request with this ``Origin`` header may go on (no header: not a browser)."""
        if origin is None or self.any:
            return True
        origin = origin.rstrip("/")
        return origin in self.exact or bool(self._re and self._re.match(origin))
