"""File types come from the bytes; the name only chooses between formats sharing a container."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Awaitable, Callable

import pytest

from rooms.sniff import ALLOWED_TYPES, needs_structure_check, office_structure_ok, sniff

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODP = "application/vnd.oasis.opendocument.presentation"


def zip_of(*entries: tuple[str, bytes], stored_first: bool = False, comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            archive.writestr(name, data, zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED)
        archive.comment = comment
    return out.getvalue()


def odf(kind: str) -> bytes:
    return zip_of(("mimetype", kind.encode()), ("content.xml", b"<office:document-content/>"), stored_first=True)


OOXML_DOCX = zip_of(("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", b"<Relationships/>"),
                    ("word/document.xml", b"<w:document/>"))


@pytest.mark.parametrize(("head", "name", "kind"), [
    (b"\x89PNG\r\n\x1a\n....", "x.jpg", "image/png"),
    (b"\xff\xd8\xff\xe0..JFIF", "photo", "image/jpeg"),
    (b"GIF89a....", "a.gif", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
    (b"%PDF-1.7\n", "slides.pdf", "application/pdf"),
    (b"\x00\x00\x00\x18ftypmp42", "clip.mov", "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  ", "clip.mov", "video/quicktime"),
    (b"\x1a\x45\xdf\xa3....", "v.webm", "video/webm"),
    (b"ID3\x04\x00", "song.mp3", "audio/mpeg"),
    (b"OggS\x00", "a.ogg", "audio/ogg"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "a.wav", "audio/wav"),
    (b"PK\x03\x04\x14\x00", "report.docx", DOCX),  # provisional: office_structure_ok reads its directory
    (odf(ODP)[:4096], "slides.ODP", ODP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.ppt", "application/vnd.ms-powerpoint"),
    ("Καλημέρα, 你好, مرحبا".encode(), "notes.txt", "text/plain"),
    (b"a,b\n1,2\n", "table.csv", "text/csv"),
    (b"", "empty.txt", "text/plain"),
    ("é".encode()[:1], "cut.txt", "text/plain"),  # a character cut at the end of the sample
])
def test_allowed(head: bytes, name: str, kind: str) -> None:
    assert sniff(head, name) == kind
    assert kind in ALLOWED_TYPES


@pytest.mark.parametrize(("head", "name"), [
    (b"\x7fELF\x02\x01\x01", "cat.png"),
    (b"MZ\x90\x00\x03", "game.txt"),
    (b"\xcf\xfa\xed\xfe", "app"),
    (b"PK\x03\x04", "bundle.zip"),
    (b"PK\x03\x04", "report.docx.exe"),
    (b"<!DOCTYPE html><html>", "page.txt"),
    (b"  <svg onload=alert(1)>", "logo.svg"),
    (b"<?xml version='1.0'?><svg/>", "x.xml"),
    (b"text\x00with nul", "a.txt"),
    (b"\xff\xfe\xfd bad utf-8 in the middle" + b"x" * 20, "a.txt"),
    (b"", "empty.bin"),
    (b"PK\x03\x04\x14\x00", "slides.odp"),  # a bare ZIP is no OpenDocument: no mimetype entry first
    (odf("application/vnd.oasis.opendocument.text"), "slides.odp"),  # says it is a text document
    (zip_of(("content.xml", b"x"), ("mimetype", ODP.encode())), "slides.odp"),  # mimetype not first
    (zip_of(("mimetype", ODP.encode())), "slides.odp"),  # compressed
    (OOXML_DOCX, "report.zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.msi"),
])
def test_refused(head: bytes, name: str) -> None:
    assert sniff(head, name) is None


def _reader(data: bytes) -> tuple[Callable[[int, int], Awaitable[bytes]], list[tuple[int, int]]]:
    reads: list[tuple[int, int]] = []

    async def read(start: int, end: int) -> bytes:
        reads.append((start, end))
        return data[start:end]
    return read, reads


@pytest.mark.parametrize(("data", "kind", "ok"), [
    (OOXML_DOCX, DOCX, True),
    (zip_of(("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<w/>"), comment=b"c" * 300), XLSX, True),
    (zip_of(("a.txt", b"just a zip")), DOCX, False),  # the bare ZIP named .docx
    (zip_of(("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<w/>")), DOCX, False),  # a workbook
    (zip_of(("word/document.xml", b"<w:document/>")), DOCX, False),  # no [Content_Types].xml
    (b"PK\x03\x04\x14\x00" + b"\x00" * 100, DOCX, False),  # no directory at all
    (OOXML_DOCX[:-10], DOCX, False),  # cut short
    (b"", DOCX, False),
])
async def test_office_structure(data: bytes, kind: str, ok: bool) -> None:
    assert needs_structure_check(kind)
    read, reads = _reader(data)
    assert await office_structure_ok(read, len(data), kind) is ok


async def test_office_structure_reads_only_the_directory() -> None:
    padding = random.Random(18).randbytes(1 << 20)  # 1 MiB that does not compress, before the directory
    data = zip_of(("[Content_Types].xml", b"<Types/>"), ("word/media/a.bin", padding), ("word/document.xml", b"<w/>"))
    read, reads = _reader(data)
    assert await office_structure_ok(read, len(data), DOCX)
    assert sum(end - start for start, end in reads) < 70_000


def test_only_ooxml_needs_the_directory() -> None:
    assert not needs_structure_check(ODP) and not needs_structure_check("image/png")
