"""File actions over REST: a streamed upload, a file's record, deleting it (downloads: ``server/http/files.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from rooms.file_models import FileRecord
from rooms.models import Model
from server.actions.base import Context, Outcome, action, answer


class FileRef(Model):
    file_id: str


@dataclass(frozen=True)
class Upload:
    """An upload's request: its bytes arrive as a stream, so this is no JSON payload."""

    project_id: str
    name: str
    chunks: AsyncIterator[bytes]
    declared_size: int | None


@action(None, FileRecord)
async def upload(ctx: Context, data: Upload) -> Outcome[Any]:
    return answer(await ctx.services.files.upload(ctx.user, data.project_id, data.name, data.chunks,
                                                  data.declared_size))


@action(FileRef, FileRecord)
async def meta(ctx: Context, ref: FileRef) -> Outcome[Any]:
    return answer(await ctx.services.files.readable(ctx.user, ref.file_id))


@action(FileRef, FileRecord)
async def delete(ctx: Context, ref: FileRef) -> Outcome[Any]:
    return answer(await ctx.services.files.delete(ctx.user, ref.file_id))
