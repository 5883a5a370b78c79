"""server/logs.py: the JSON and text lines, the request id on every line, one line per answered request."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field, ValidationError
from pymongo.errors import BulkWriteError

from rooms.errors import Unavailable
from server import logs, observe, wire
from storage.documents.mongo_base import translated


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    # An in-process uvicorn earlier in the run (tests/integration/test_delivery.py) leaves its loggers'
    # levels set: these tests log through them at every level.
    named = {name: logging.getLogger(name).level for name in ("uvicorn", "uvicorn.error", logs.ACCESS_LOGGER,
                                                               "websockets")}
    for name in named:
        logging.getLogger(name).setLevel(logging.NOTSET)
    handler = logs.configure("debug", "json", stream)
    yield stream, handler
    root.removeHandler(handler)
    for old in before:
        root.addHandler(old)
    root.setLevel(level)
    for name, was in named.items():
        logging.getLogger(name).setLevel(was)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_the_fields_of_every_line(captured: tuple[io.StringIO, logging.Handler]) -> None:
    stream, _ = captured
    logging.getLogger("twinspace.test").info("hello %s", "there")
    (line,) = lines(stream)
    assert line["message"] == "hello there" and line["level"] == "info" and line["logger"] == "twinspace.test"
    assert isinstance(line["time"], str) and line["time"].endswith("Z") and "T" in line["time"]
    assert line["instance"] == logs.instance_id() and "request_id" not in line


def test_lines_written_while_a_request_is_handled_carry_its_id(captured: tuple[io.StringIO, logging.Handler]) -> None:
    stream, _ = captured

    def handled() -> str:
        request_id = observe.begin()
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("twinspace.wire").exception("unexpected error in chat:send")
        return request_id

    request_id = contextvars.copy_context().run(handled)
    (line,) = lines(stream)
    assert line["request_id"] == request_id and "RuntimeError: boom" in str(line["exception"])


def test_answered_requests_log_one_line_a_refusal_at_warning(captured: tuple[io.StringIO, logging.Handler]) -> None:
    stream, _ = captured
    logs.answered(observe.Finished("event", "chat:send", "ok", 0.0021, "a" * 16, "pupil_1"))
    logs.answered(observe.Finished("route", "GET /api/v1/projects/{project_id}", "project.not_found", 0.004,
                                   "b" * 16, None, "no such project"))
    ok, refused = lines(stream)
    assert ok["level"] == "debug" and ok["event"] == "chat:send" and ok["outcome"] == "ok"
    assert ok["duration_ms"] == 2.1 and ok["request_id"] == "a" * 16 and ok["user"] == "pupil_1"
    assert refused["level"] == "warning" and refused["route"] == "GET /api/v1/projects/{project_id}"
    assert refused["outcome"] == "project.not_found" and "user" not in refused
    assert refused["message"] == ("rejected route=GET /api/v1/projects/{project_id} user=None "
                                  "code=project.not_found no such project")


def test_access_lines_lose_their_query_string(captured: tuple[io.StringIO, logging.Handler]) -> None:
    stream, _ = captured
    logging.getLogger(logs.ACCESS_LOGGER).info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET",
                                               "/api/v1/projects/p/search?q=my+secret+words", "1.1", 200)
    (line,) = lines(stream)
    assert line["message"] == '127.0.0.1:5 - "GET /api/v1/projects/p/search?… HTTP/1.1" 200'


def test_websocket_frames_and_headers_are_not_logged(captured: tuple[io.StringIO, logging.Handler]) -> None:
    stream, _ = captured
    websocket = logging.getLogger("uvicorn.error")
    websocket.debug("< %s", "TEXT '40{\"token\":\"eyJhbGciOiJIUzI1NiJ9.x.y\"}' [363 bytes]")
    websocket.debug("< %s: %s", "Cookie", "session=abc")
    websocket.debug("= connection is OPEN")
    assert [line["message"] for line in lines(stream)] == ["= connection is OPEN"]


def test_text_lines_end_with_the_request_id_before_a_traceback() -> None:
    record = logging.LogRecord("twinspace.wire", logging.ERROR, __file__, 1, "unexpected error", None, None)
    record.request_id = "c" * 16
    try:
        raise ValueError("x")
    except ValueError:
        record.exc_info = sys.exc_info()
    first, *rest = logs.TextFormatter().format(record).splitlines()
    assert first.endswith(f"ERROR twinspace.wire: unexpected error request_id={'c' * 16}")
    assert rest[0].startswith("Traceback")


def test_an_unexpected_validation_error_is_logged_without_the_values_it_quotes(
        captured: tuple[io.StringIO, logging.Handler]) -> None:
    stream, _ = captured

    class Tiny(BaseModel):
        text: str = Field(max_length=3)

    written = "a pupil's " + "secret words"  # a value: the traceback quotes source lines, not this
    try:
        Tiny(text=written)
    except ValidationError as exc:
        wire.unexpected(exc, "chat:send")
    (line,) = lines(stream)
    assert "secret words" not in json.dumps(line) and "text: String should have at most 3 characters" in line["message"]
    assert "Traceback" in str(line["message"]) and "test_logs.py" in str(line["message"])


async def test_a_mongodb_write_error_leaves_without_the_documents_it_quotes() -> None:
    @translated
    async def insert() -> None:
        raise BulkWriteError({"writeErrors": [{"code": 11000, "op": {"body": "a pupil's secret words"}}]})

    with pytest.raises(Unavailable) as caught:
        await insert()
    assert "secret words" not in str(caught.value.data) and caught.value.__cause__ is None
