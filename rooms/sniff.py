"""What a file is, from its bytes: the allow-list of types members may share.

The name and the declared type are not trusted: a ``.png`` whose bytes are
an executable is refused. Binary formats are recognised by their signatures
(puremagic's database); text is what decodes as UTF-8 without NUL bytes and
is not markup a browser runs (HTML, SVG, XML). The name only picks between
formats that share a container (Office documents are ZIP or OLE files), and
a container must have the inner structure its type claims:

- OpenDocument (``.odt``, ``.odp``, ``.ods``): the ZIP's first entry is
  ``mimetype``, stored uncompressed, holding exactly that type (in the first
  bytes, so ``sniff`` checks it);
- Office Open XML (``.docx``, ``.pptx``, ``.xlsx``): the ZIP's directory lists
  ``[Content_Types].xml`` and the main part of that type (``word/document.xml``,
  ``ppt/presentation.xml``, ``xl/workbook.xml``). The directory is at the end of
  the file, so ``office_structure_ok`` reads it once the whole upload is stored.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Awaitable, Callable

import puremagic

from rooms import limits

_OOXML = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/document.xml"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "ppt/presentation.xml"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/workbook.xml"),
}
_ODF = {
    "odt": "application/vnd.oasis.opendocument.text",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
_OLE_OFFICE = {"doc": "application/msword", "ppt": "application/vnd.ms-powerpoint", "xls": "application/vnd.ms-excel"}
_CONTAINERS = {b"PK\x03\x04": {ext: kind for ext, (kind, _) in _OOXML.items()} | _ODF,
               b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": _OLE_OFFICE}
# The types a recognised signature may stand for, by the extension puremagic gives its match.
_BY_SIGNATURE = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "jpe": "image/jpeg", "jfif": "image/jpeg",
    "gif": "image/gif", "webp": "image/webp", "pdf": "application/pdf",
    "mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime", "qt": "video/quicktime",
    "webm": "video/webm", "avi": "video/x-msvideo",
    "m4a": "audio/mp4", "m4b": "audio/mp4", "f4a": "audio/mp4", "mp3": "audio/mpeg", "mpga": "audio/mpeg",
    "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg", "wav": "audio/wav",
}
_TEXT = {"txt": "text/plain", "csv": "text/csv", "md": "text/markdown"}

# Signatures that are never text, whatever else the bytes look like.
_REFUSED = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"PK\x03\x04", b"%!PS")
_MARKUP = (b"<!doctype html", b"<html", b"<svg", b"<?xml")
_ZIP_END = b"PK\x05\x06"
_ZIP_END_BYTES = 22  # the end-of-directory record without its comment
_ZIP_TAIL_MAX = _ZIP_END_BYTES + 0xFFFF  # the record and the longest comment


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _text(head: bytes, ext: str) -> str | None:
    if not head:
        return "text/plain" if ext in _TEXT or not ext else None
    if b"\x00" in head or head.startswith(_REFUSED) or head.lstrip().lower().startswith(_MARKUP):
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # only a character cut at the sample's end is forgiven
            return None
    return _TEXT.get(ext, "text/plain")


def _odf_ok(head: bytes, kind: str) -> bool:
    """The ZIP's first entry is ``mimetype``, stored (method 0), holding exactly ``kind``."""
    if len(head) < 30:
        return False
    method, = struct.unpack_from("<H", head, 8)
    name_len, extra_len = struct.unpack_from("<HH", head, 26)
    data = 30 + name_len + extra_len
    return method == 0 and head[30:30 + name_len] == b"mimetype" and head[data:data + len(kind)] == kind.encode()


def _container(head: bytes, ext: str) -> str | None:
    for signature, kinds in _CONTAINERS.items():
        if head.startswith(signature):
            kind = kinds.get(ext)
            if kind is not None and ext in _ODF and not _odf_ok(head, kind):
                return None
            return kind
    return None


def sniff(head: bytes, name: str) -> str | None:
    """The content type of a file starting with ``head``, or None when it is not allowed.

    An Office Open XML type is only provisional: ``office_structure_ok`` confirms it on the whole file.
    """
    ext = _extension(name)
    if head.startswith(tuple(_CONTAINERS)):
        return _container(head, ext)
    try:
        matches = puremagic.magic_string(head, name) if head else []
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        kind = _BY_SIGNATURE.get(match.extension.lstrip(".").lower())
        if kind is not None:
            return kind
    return _text(head, ext)


def needs_structure_check(content_type: str) -> bool:
    """Whether the type's structure is in the file's directory, which ``sniff`` does not see."""
    return any(content_type == kind for kind, _ in _OOXML.values())


def _directory_span(tail: bytes, tail_start: int, size: int) -> tuple[int, int] | None:
    """(start, end) of the ZIP's central directory and end record, from the file's last bytes."""
    at = tail.rfind(_ZIP_END)
    if at < 0 or len(tail) - at < _ZIP_END_BYTES:
        return None
    entries_here, entries, dir_size, dir_offset = struct.unpack_from("<HHII", tail, at + 8)
    if 0xFFFFFFFF in (dir_size, dir_offset) or 0xFFFF in (entries_here, entries):
        return None  # ZIP64: far beyond any Office file a project shares
    if dir_offset + dir_size != tail_start + at or dir_size > limits.OFFICE_DIRECTORY_MAX_BYTES:
        return None
    return dir_offset, size


def _names(directory: bytes) -> set[str]:
    """The entry names of a ZIP whose bytes from its central directory on are ``directory``."""
    try:
        with zipfile.ZipFile(io.BytesIO(directory)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return set()


async def office_structure_ok(read: Callable[[int, int], Awaitable[bytes]], size: int, content_type: str) -> bool:
    """Whether a stored Office Open XML file of ``size`` bytes has the parts its type claims.

    ``read(start, end)`` returns those bytes of the stored file; only its end (the ZIP's
    directory, at most ``limits.OFFICE_DIRECTORY_MAX_BYTES``) is read.
    """
    main_part = next(part for kind, part in _OOXML.values() if kind == content_type)
    tail_start = max(0, size - _ZIP_TAIL_MAX)
    span = _directory_span(await read(tail_start, size), tail_start, size)
    if span is None:
        return False
    names = _names(await read(*span))
    return {"[Content_Types].xml", main_part} <= names


ALLOWED_TYPES = sorted({*_BY_SIGNATURE.values(), *(kind for kind, _ in _OOXML.values()), *_ODF.values(),
                        *_OLE_OFFICE.values(), *_TEXT.values()})
