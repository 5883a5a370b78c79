"""How a file's name travels in an HTTP header: one builder for downloads and presigned URLs alike."""

from __future__ import annotations

from urllib.parse import quote

INLINE_TYPES = ("image/", "video/", "audio/")  # shown in the page; everything else is saved
# Shown in the page only when the answer is sandboxed (``Content-Security-Policy: sandbox``): a PDF
# may carry JavaScript, which a viewer in the server's origin would run against the API.
SANDBOXED_INLINE_TYPES = ("application/pdf",)


def content_disposition(name: str, content_type: str, *, sandboxed: bool = False) -> str:
    """``Content-Disposition`` (RFC 6266) with an ASCII fallback and the exact name (RFC 5987 ``filename*``).

    ``sandboxed``: the answer carries ``Content-Security-Policy: sandbox`` (a presigned URL cannot).
    """
    inline = content_type.startswith(INLINE_TYPES) or (sandboxed and content_type.startswith(SANDBOXED_INLINE_TYPES))
    kind = "inline" if inline else "attachment"
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in name) or "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
