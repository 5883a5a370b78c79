"""File types come from the bytes; the name only chooses between formats sharing a container."""

from __future__ import annotations

import pytest

from rooms.sniff import ALLOWED_TYPES, sniff


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
    (b"PK\x03\x04\x14\x00", "report.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"PK\x03\x04\x14\x00", "slides.ODP", "application/vnd.oasis.opendocument.presentation"),
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
])
def test_refused(head: bytes, name: str) -> None:
    assert sniff(head, name) is None
