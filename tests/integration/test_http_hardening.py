"""HTTP against a running server: the Host header, redirects, security headers, Office files by structure."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from tests.support.clients import CALL_TIMEOUT_SECS, Api, Project, make_project
from tests.support.server import ServerProcess

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that answers for 127.0.0.1 and school.example only, with the demo page on."""
    proc = ServerProcess(tmp_path_factory.mktemp("hardening") / "data", "--demo", "true",
                         "--allowed-hosts", "127.0.0.1,school.example").start()
    yield proc
    proc.stop()


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


async def raw_get(server: ServerProcess, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=CALL_TIMEOUT_SECS) as http:
        return await http.get(path, headers=headers)


def zip_of(*entries: tuple[str, bytes], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            archive.writestr(name, data, zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED)
    return out.getvalue()


def stored_files(server: ServerProcess, project_id: str) -> list[str]:
    """The project's stored objects and every upload still in progress (the local store's files)."""
    folder = server.data_dir / "files" / project_id
    stored = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return stored + sorted(p.name for p in (server.data_dir / "files" / ".tmp").glob("*.part"))


async def test_a_forged_host_is_refused_and_never_redirected_to(server: ServerProcess) -> None:
    r = await raw_get(server, "/api/v1/projects/", host="evil.example")
    assert r.status_code == 400 and "location" not in r.headers
    assert r.json()["error"]["code"] == "request.host_not_allowed"
    assert r.headers["x-content-type-options"] == "nosniff"
    for path in ("/socket.io/?EIO=4&transport=polling", "/demo/", "/", "/api/v1/openapi.json"):
        r = await raw_get(server, path, host="evil.example:8000")
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.host_not_allowed", path
    for path in ("/healthz", "/readyz"):  # probes name an instance by its address
        assert (await raw_get(server, path, host="10.1.2.3:8000")).status_code == 200
    assert "host 'evil.example' is not in --allowed-hosts" in server.log()
    assert "Traceback" not in server.log()


async def test_slash_redirects_are_relative(server: ServerProcess) -> None:
    for host in ("school.example", f"127.0.0.1:{server.port}"):
        r = await raw_get(server, "/api/v1/projects/?x=1&y=%C3%A9", host=host)
        assert r.status_code == 307 and r.headers["location"] == "/api/v1/projects?x=1&y=%C3%A9", host
        r = await raw_get(server, "/demo/api/users/", host=host)
        assert r.status_code == 307 and r.headers["location"] == "/demo/api/users", host
    r = await raw_get(server, "/demo", host="school.example")
    assert r.status_code == 307 and r.headers["location"] == "/demo/"
    r = await raw_get(server, "//api/v1/projects/", host="school.example")  # no //host (protocol-relative) ever
    assert not r.headers.get("location", "/").startswith("//")
    r = await raw_get(server, "/api/v1/no/such/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "request.not_found"


async def test_api_answers_are_neither_cached_nor_sniffed_nor_framed(server: ServerProcess, project: Project) -> None:
    async with Api(server, project.pupil.token) as api:
        answers = [await api.get("/projects"), await api.get("/me"), await api.get("/projects/nope")]
    answers += [await raw_get(server, "/api/v1/projects"), await raw_get(server, "/"),
                await raw_get(server, "/api/v1/openapi.json")]
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["cache-control"] == "no-store", r.url
        assert r.headers["x-frame-options"] == "DENY", r.url
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], r.url


async def test_the_demo_page_has_a_policy_without_inline_scripts(server: ServerProcess) -> None:
    page = await raw_get(server, "/demo/")
    assert page.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and page.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and " on" + "load=" not in page.text  # every script is a file of its own
    script = await raw_get(server, "/demo/app.js")
    assert script.headers["content-security-policy"] == page.headers["content-security-policy"]
    users = await raw_get(server, "/demo/api/users")
    assert users.headers["cache-control"] == "no-store"


async def upload(server: ServerProcess, project: Project, name: str, content: bytes) -> httpx.Response:
    async with Api(server, project.pupil.token) as api:
        return await api.request("POST", f"/projects/{project.id}/files", params={"name": name}, content=content)


async def test_downloads_are_sandboxed_and_pdfs_inline_only_so(server: ServerProcess, project: Project) -> None:
    pdf = b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n"
    for name, content, disposition in (("slides.pdf", pdf, "inline"), ("notes.txt", b"hello", "attachment"),
                                       ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "inline")):
        record = await upload(server, project, name, content)
        assert record.status_code == 201, record.text
        async with Api(server, project.pupil.token) as api:
            r = await api.get(f"/files/{record.json()['id']}")
            meta = await api.get(f"/files/{record.json()['id']}/meta")
        assert r.status_code == 200 and r.content == content
        assert r.headers["content-security-policy"] == "sandbox", name
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-disposition"].startswith(disposition + ";"), name
        assert r.headers["cache-control"] == "private, max-age=3600"  # the download's own, kept
        assert meta.headers["cache-control"] == "no-store" and "sandbox" not in meta.headers["content-security-policy"]


@pytest.mark.parametrize(("name", "content"), [
    ("report.docx", zip_of(("a.txt", b"just a zip"))),  # the bare ZIP named .docx
    ("report.docx", zip_of(("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<w/>"))),  # a workbook
    ("report.docx", zip_of(("[Content_Types].xml", b"<Types/>"))),
    ("essay.odt", zip_of(("content.xml", b"<x/>"))),  # no mimetype entry first
])
async def test_a_zip_that_is_not_the_office_file_it_is_named_is_refused(server: ServerProcess, project: Project,
                                                                        name: str, content: bytes) -> None:
    r = await upload(server, project, name, content)
    assert r.status_code == 415, r.text
    assert r.json()["error"]["code"] == "file.type_not_allowed"
    assert stored_files(server, project.id) == []


async def test_real_office_files_are_accepted(server: ServerProcess, project: Project) -> None:
    docx = zip_of(("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", b"<Relationships/>"),
                  ("word/document.xml", b"<w:document/>"))
    odt = zip_of(("mimetype", ODT.encode()), ("content.xml", b"<office:document-content/>"), stored_first=True)
    for name, content, kind in (("report.docx", docx, DOCX), ("essay.odt", odt, ODT)):
        r = await upload(server, project, name, content)
        assert r.status_code == 201, r.text
        assert r.json()["content_type"] == kind
