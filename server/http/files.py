"""REST endpoints for shared files: streamed upload, download with ranges, delete."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.requests import ClientDisconnect
from starlette.responses import RedirectResponse, Response, StreamingResponse

from rooms.errors import InvalidRequest
from rooms.file_models import FileRecord
from server.http.routing import Call, Endpoint

PRESIGNED_URL_SECS = 300  # long enough to start a download, short enough that a shared link dies soon
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_INLINE = ("image/", "video/", "audio/", "application/pdf")  # shown in the page; everything else is saved


def content_disposition(name: str, content_type: str) -> str:
    kind = "inline" if content_type.startswith(_INLINE) else "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def upload(call: Call, _: None) -> Any:
    name = call.request.query_params.get("name")
    if not name:
        raise InvalidRequest("request.invalid", detail="name: give the file's name as ?name=")
    declared = call.request.headers.get("content-length")
    size = int(declared) if declared is not None and declared.isdigit() else None
    try:
        return await call.runtime.files.upload(call.user, call.param("project_id"), name,
                                               call.request.stream(), size)
    except ClientDisconnect:
        raise InvalidRequest("file.upload_incomplete") from None


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end exclusive) for a single satisfiable range; None to send all; "bad" when unsatisfiable."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if not match or match[1] == match[2] == "":
        return None  # several ranges or an odd form: the whole file is a valid answer
    if match[1] == "":
        length = int(match[2])
        return (max(0, size - length), size) if length > 0 and size > 0 else "bad"
    start = int(match[1])
    end = min(int(match[2]) + 1, size) if match[2] else size
    if start >= size or end <= start:
        return "bad"
    return start, end


async def download(call: Call, _: None) -> Response:
    files = call.runtime.files
    record = await files.readable(call.user, call.param("file_id"))
    if call.runtime.settings.file_redirects:
        url = await files.presigned_url(call.user, record, PRESIGNED_URL_SECS)
        if url is not None:
            return RedirectResponse(url, status_code=307)
    etag = f'"{record.sha256}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff",
               "Cache-Control": "private, max-age=3600",
               "Content-Disposition": content_disposition(record.name, record.content_type)}
    if call.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    wanted = _byte_range(call.request.headers.get("range"), record.size)
    if wanted == "bad":
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{record.size}"})
    start, end = wanted if isinstance(wanted, tuple) else (0, record.size)
    _, body = await files.open(call.user, record.id, start, end)
    headers["Content-Length"] = str(end - start)
    status = 200
    if isinstance(wanted, tuple):
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{record.size}"
    return StreamingResponse(body, status_code=status, media_type=record.content_type, headers=headers)


async def meta(call: Call, _: None) -> FileRecord:
    return await call.runtime.files.readable(call.user, call.param("file_id"))


async def delete(call: Call, _: None) -> FileRecord:
    return await call.runtime.files.delete(call.user, call.param("file_id"))


ENDPOINTS = [
    Endpoint("POST", "/projects/{project_id}/files", upload,
             "Upload a file: the raw bytes as the body, the name as ?name=. Attach it afterwards to a "
             "message, thread, post or mail by its id.", response=FileRecord, status=201,
             query=(("name", "the file's name"),), raw_body="application/octet-stream", tag="files"),
    Endpoint("GET", "/files/{file_id}", download, "Download a file (Range, ETag and If-None-Match supported)",
             response=bytes, tag="files"),
    Endpoint("GET", "/files/{file_id}/meta", meta, "A file's record", response=FileRecord, tag="files"),
    Endpoint("DELETE", "/files/{file_id}", delete, "Delete a file (its owner, or teachers)", response=FileRecord,
             tag="files"),
]
