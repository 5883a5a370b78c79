"""The log: plain text or one JSON object per line, the request id on every line, a line per answered request.

:func:`configure` sets up the one handler on stderr that every logger reaches, uvicorn's
included (``server/cli.py`` runs uvicorn with ``log_config=None``, so its loggers propagate
here). With ``--log-format json`` each line is an object with ``time`` (ISO 8601, UTC),
``level``, ``logger``, ``message`` and ``instance``, and when known ``event`` or ``route``,
``outcome`` (``ok`` or the error code), ``duration_ms``, ``request_id`` and ``user``
(docs/operations.md, "Logs").

Every line logged while a request is handled carries its id (:class:`RequestIds` reads
``observe.request_id()``), and so does the error it is answered with (``server/wire.py``):
support finds a user's report by the id the SDK shows. :func:`answered` is the app's
listener on ``observe.Observer``: one line per answered event or route, a refusal at
``warning`` with what was wrong, a success at ``debug`` (a region's server answers thousands
of events a second; counting them is the metrics' job).

Never logged: tokens, message text, file contents. The refusal's ``detail`` names fields and
limits, never values (``server/wire.py`` validates with ``include_input=False``). At
``--log-level debug``, uvicorn's access lines are logged without their query string, which holds
search words and file names, and the WebSocket library's lines of frames and headers not at all.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from server import observe

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIELDS = ("event", "route", "outcome", "duration_ms", "request_id", "user")  # in this order, each when known
ACCESS_LOGGER = "uvicorn.access"

log = logging.getLogger("twinspace.requests")


def instance_id() -> str:
    """This process among the instances: ``host:pid``, unique while it runs and readable."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RequestIds(logging.Filter):
    """Gives every record the id of the request being handled where it was logged, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = observe.request_id()
        return True


class NoQueryStrings(logging.Filter):
    """uvicorn's access lines without their query string: it holds search words, file names."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) >= 3:
            path = record.args[2]
            if isinstance(path, str) and "?" in path:
                record.args = (*record.args[:2], path.split("?", 1)[0] + "?…", *record.args[3:])
        return True


class NoFrames(logging.Filter):
    """Drops the WebSocket library's debug lines of what went in (``<``) and out (``>``): whole frames
    (a token in a connect packet, a message's text) and handshake headers (cookies, ``Authorization``).
    uvicorn hands the library its ``uvicorn.error`` logger; at ``--log-level debug`` it writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.DEBUG and record.name.startswith(("uvicorn", "websockets"))
                    and isinstance(record.msg, str) and record.msg.startswith(("< ", "> ")))


class TextFormatter(logging.Formatter):
    """The terminal's lines: ``time LEVEL logger: message``, then the request id when there is one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            return line
        first, newline, rest = line.partition("\n")  # after the message, before a traceback
        return f"{first} request_id={request_id}{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log pipelines; a traceback is the ``exception`` field's text."""

    def __init__(self, instance: str) -> None:
        super().__init__()
        self.instance = instance

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "instance": self.instance,
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    """``json`` or ``text`` (``--log-format``, server/settings.py)."""
    return JsonFormatter(instance_id()) if log_format == "json" else TextFormatter()


def configure(level: str, log_format: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """The root logger's one handler, on stderr, in the asked format, replacing any other."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIds())
    handler.addFilter(NoQueryStrings())
    handler.addFilter(NoFrames())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def answered(report: observe.Finished) -> None:
    """The one line of an answered event or route (the app's listener on ``observe.Observer``)."""
    refused = report.outcome != "ok"
    level = logging.WARNING if refused else logging.DEBUG
    if not log.isEnabledFor(level):
        return
    fields = {report.kind: report.name, "outcome": report.outcome, "duration_ms": round(report.secs * 1000, 1),
              "request_id": report.request_id, "user": report.user_id}
    if refused:
        log.log(level, "rejected %s=%s user=%s code=%s%s", report.kind, report.name, report.user_id,
                report.outcome, f" {report.detail}" if report.detail else "", extra=fields)
    else:
        log.log(level, "answered %s=%s user=%s in %.1f ms", report.kind, report.name, report.user_id,
                fields["duration_ms"], extra=fields)


__all__ = ["JsonFormatter", "NoFrames", "NoQueryStrings", "RequestIds", "TextFormatter", "answered", "configure",
           "formatter", "instance_id"]
