"""REST endpoints for shared files: streamed upload, download with ranges, delete."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from rooms.errors import InvalidRequest
from rooms.file_models import FileRecord
from rooms.filenames import content_disposition
from server.actions import files as a
from server.actions.base import Context, Outcome, action, answer
from server.http.headers import DOWNLOAD_CSP
from server.http.routing import Endpoint

PRESIGNED_URL_SECS = 300  # long enough to start a download, short enough that a shared link dies soon
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def _client_gone(chunks: Any) -> Any:
    """The upload's bytes; a client that stops sending mid-way is ``file.upload_incomplete``."""
    try:
        async for chunk in chunks:
            yield chunk
    except ClientDisconnect:
        raise InvalidRequest("file.upload_incomplete") from None


async def bind_upload(request: Request, _: BaseModel | None) -> a.Upload:
    name = request.query_params.get("name")
    if not name:
        raise InvalidRequest("request.invalid", detail="name: give the file's name as ?name=")
    declared = request.headers.get("content-length")
    size = int(declared) if declared is not None and declared.isdigit() else None
    return a.Upload(project_id=str(request.path_params["project_id"]), name=name,
                    chunks=_client_gone(request.stream()), declared_size=size)


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


class Download(BaseModel):
    """What a download asks for: HTTP's conditional and range headers come with it."""

    file_id: str
    range: str | None = None
    if_none_match: str | None = None


async def bind_download(request: Request, _: BaseModel | None) -> Download:
    return Download(file_id=str(request.path_params["file_id"]), range=request.headers.get("range"),
                    if_none_match=request.headers.get("if-none-match"))


@action(None, bytes)
async def download(ctx: Context, want: Download) -> Outcome[Response]:
    files = ctx.services.files
    record = await files.readable(ctx.user, want.file_id)
    if ctx.services.settings.file_redirects:
        url = await files.presigned_url(ctx.user, record, PRESIGNED_URL_SECS)
        if url is not None:
            return answer(RedirectResponse(url, status_code=307))
    etag = f'"{record.sha256}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff",
               "Cache-Control": "private, max-age=3600", "Content-Security-Policy": DOWNLOAD_CSP,
               "Content-Disposition": content_disposition(record.name, record.content_type, sandboxed=True)}
    if want.if_none_match == etag:
        return answer(Response(status_code=304, headers=headers))
    wanted = _byte_range(want.range, record.size)
    if wanted == "bad":
        return answer(Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{record.size}"}))
    start, end = wanted if isinstance(wanted, tuple) else (0, record.size)
    _, body = await files.open(ctx.user, record.id, start, end)
    headers["Content-Length"] = str(end - start)
    status = 200
    if isinstance(wanted, tuple):
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{record.size}"
    return answer(StreamingResponse(body, status_code=status, media_type=record.content_type, headers=headers))


ENDPOINTS = [
    Endpoint("POST", "/projects/{project_id}/files", a.upload,
             "Upload a file: the raw bytes as the body, the name as ?name=. Attach it afterwards to a "
             "message, thread, post or mail by its id.", status=201,
             query=(("name", "the file's name"),), raw_body="application/octet-stream", tag="files",
             bind=bind_upload),
    Endpoint("GET", "/files/{file_id}", download, "Download a file (Range, ETag and If-None-Match supported)",
             tag="files", bind=bind_download),
    Endpoint("GET", "/files/{file_id}/meta", a.meta, "A file's record", response=FileRecord, tag="files"),
    Endpoint("DELETE", "/files/{file_id}", a.delete, "Delete a file (its owner, or teachers)", tag="files"),
]
