"""How a file's name travels in an HTTP header: one builder for downloads and presigned URLs alike."""

from __future__ import annotations

from urllib.parse import quote

INLINE_TYPES = ("image/", "video/", "audio/", "application/pdf")  # shown in the page; everything else is saved


def content_disposition(name: str, content_type: str) -> str:
    """``Content-Disposition`` (RFC 6266) with an ASCII fallback and the exact name (RFC 5987 ``filename*``)."""
    kind = "inline" if content_type.startswith(INLINE_TYPES) else "attachment"
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in name) or "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
