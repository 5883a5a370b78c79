"""What a file is, from its first bytes: the allow-list of types members may share.

The name and the declared type are not trusted: a ``.png`` whose bytes are
an executable is refused. The name only picks between formats that share a
container (Office documents are ZIP or OLE files).
"""

from __future__ import annotations

from collections.abc import Callable

_ZIP_OFFICE = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
_OLE_OFFICE = {"doc": "application/msword", "ppt": "application/vnd.ms-powerpoint", "xls": "application/vnd.ms-excel"}
_TEXT = {"txt": "text/plain", "csv": "text/csv", "md": "text/markdown"}


def _ftyp(head: bytes) -> str | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in (b"M4A ", b"M4B "):
        return "audio/mp4"
    return "video/mp4"


def _riff(head: bytes) -> str | None:
    if head[:4] != b"RIFF":
        return None
    return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(head[8:12])


def _text(head: bytes, ext: str) -> str | None:
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # only a character cut at the sample's end is forgiven
            return None
    return _TEXT.get(ext, "text/plain")


_SIGNATURES: list[Callable[[bytes, str], str | None]] = [
    lambda h, e: "image/png" if h.startswith(b"\x89PNG\r\n\x1a\n") else None,
    lambda h, e: "image/jpeg" if h.startswith(b"\xff\xd8\xff") else None,
    lambda h, e: "image/gif" if h[:6] in (b"GIF87a", b"GIF89a") else None,
    lambda h, e: "application/pdf" if h.startswith(b"%PDF-") else None,
    lambda h, e: _riff(h),
    lambda h, e: _ftyp(h),
    lambda h, e: "video/webm" if h.startswith(b"\x1a\x45\xdf\xa3") else None,
    lambda h, e: "audio/ogg" if h.startswith(b"OggS") else None,
    lambda h, e: "audio/mpeg" if h.startswith(b"ID3") or h[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2") else None,
    lambda h, e: _ZIP_OFFICE.get(e) if h.startswith(b"PK\x03\x04") else None,
    lambda h, e: _OLE_OFFICE.get(e) if h.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") else None,
]

# Signatures that are never text, whatever else the bytes look like.
_REFUSED = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"PK\x03\x04", b"%!PS")


def sniff(head: bytes, name: str) -> str | None:
    """The content type of a file starting with ``head``, or None when it is not allowed."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for check in _SIGNATURES:
        kind = check(head, ext)
        if kind:
            return kind
    if not head or head.startswith(_REFUSED) or head.lstrip().lower().startswith((b"<!doctype html", b"<html",
                                                                                   b"<svg", b"<?xml")):
        return None if head else "text/plain" if ext in _TEXT or not ext else None
    return _text(head, ext)


ALLOWED_TYPES = sorted({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "video/mp4",
                        "video/quicktime", "video/webm", "video/x-msvideo", "audio/mp4", "audio/mpeg", "audio/ogg",
                        "audio/wav", *_ZIP_OFFICE.values(), *_OLE_OFFICE.values(), *_TEXT.values()})
