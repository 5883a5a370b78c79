"""The wire format: ack envelopes, error bodies and payload validation.

This is the only module that turns a :class:`TwinspaceError` into what a
client reads, and the only one that localises messages. An unexpected
exception is logged with its traceback and reported as ``internal.error``,
never with its text.
"""

from __future__ import annotations

import functools
import json
import logging
import traceback
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rooms.errors import InternalError, InvalidRequest, TwinspaceError, render
from server import observe

log = logging.getLogger("twinspace.wire")

EVENT_PAYLOAD_MAX_BYTES = 256 * 1024  # the largest legitimate payload (a 20,000-character forum post) is ~80 KB
REST_BODY_MAX_BYTES = 1024 * 1024  # JSON bodies only; file uploads have their own limits

M = TypeVar("M", bound=BaseModel)

INT_MAX = 2**63 - 1  # what every store keeps as a number (SQLite INTEGER, BSON int64); a larger one is refused
NESTING_MAX = 32  # levels of objects and lists in a payload; the deepest legitimate one has 4


_last_dumped: tuple[Any, Any] = (None, None)  # the last frozen model jsonable made, and what it made


def jsonable(value: Any) -> Any:
    """Models (and lists of them) as plain JSON-compatible values.

    A frozen model (every model of the domain) asked for again right after is not dumped again: a
    chat send's message is its ack's answer and then its push. What is returned is read, never
    changed, by its callers (the ack, the push, a REST answer)."""
    global _last_dumped
    if isinstance(value, BaseModel):
        if value is _last_dumped[0]:
            return _last_dumped[1]
        dumped = value.model_dump(mode="json")
        if value.model_config.get("frozen"):
            _last_dumped = (value, dumped)
        return dumped
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def error_body(error: TwinspaceError, lang: str | None) -> dict[str, Any]:
    """``{"code", "message"[, "data"][, "request_id"]}`` in the user's language.

    ``request_id`` is the id of the request being answered (``server/observe.py``), the one its
    log line carries: what a user gives support, who finds the line by it.
    """
    body: dict[str, Any] = {"code": error.code, "message": render(error.code, error.data, lang)}
    public = {k: v for k, v in error.data.items() if k != "detail"}
    if public:
        body["data"] = public
    request_id = observe.request_id()
    if request_id is not None:
        body["request_id"] = request_id
    return body


def ok(data: Any) -> dict[str, Any]:
    return {"ok": True, "data": jsonable(data)}


def failed(error: TwinspaceError, lang: str | None) -> dict[str, Any]:
    return {"ok": False, "error": error_body(error, lang)}


def unexpected(exc: BaseException, where: str) -> TwinspaceError:
    """Log an unexpected exception with its traceback; the client gets only ``internal.error``.

    A pydantic ``ValidationError``'s text quotes the values it refused (a message's text, say):
    it is logged with its frames and what was wrong, without them.
    """
    if isinstance(exc, ValidationError):
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unexpected error in %s: ValidationError: %s\nTraceback (most recent call last):\n%s",
                  where, describe(exc), frames.rstrip("\n"))
    else:
        log.error("unexpected error in %s", where, exc_info=exc)
    return InternalError()


def describe(exc: ValidationError) -> str:
    """A short, human explanation of what was wrong with a payload."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse(model: type[M], payload: Any) -> M:
    """Validate a decoded payload against its schema, or raise ``request.invalid``."""
    if not isinstance(payload, dict):
        raise InvalidRequest("request.invalid", detail=f"payload must be an object, got {type(payload).__name__}")
    _check_values(payload)
    try:
        parsed = model.model_validate(payload)
        if _makes_integers(model):
            _check_values(parsed.model_dump())  # numbers made from strings (query parameters) too
    except ValidationError as exc:
        raise InvalidRequest("request.invalid", detail=describe(exc)) from None
    except RecursionError:
        raise InvalidRequest("request.invalid", detail=f"payload: at most {NESTING_MAX} levels") from None
    return parsed


@functools.cache
def _makes_integers(model: type[BaseModel]) -> bool:
    """Whether validating ``model`` may make an integer of something else (``"12"`` for an ``int``
    field, at any depth): only then is what it made checked again. Every other value of a parsed
    model is one of the payload's own, which :func:`_check_values` has checked."""
    return _holds_integers(model, set())


def _holds_integers(annotation: Any, seen: set[Any]) -> bool:
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            if annotation in seen:
                return False
            seen.add(annotation)
            return any(_holds_integers(f.annotation, seen) for f in annotation.model_fields.values())
        return issubclass(annotation, int) and not issubclass(annotation, bool)
    if typing.get_origin(annotation) is typing.Annotated:  # the type, not its constraints
        return _holds_integers(typing.get_args(annotation)[0], seen)
    if annotation is Any or annotation is None or isinstance(annotation, (str, int, float, bool)):
        return False  # Any keeps the payload's value; a Literal's values are the schema's own
    args = typing.get_args(annotation)
    if not args:  # something this does not know: checked, to be safe
        return True
    return any(_holds_integers(arg, seen) for arg in args)


def _check_values(payload: Any) -> None:
    """Refuse what no store can keep: lone UTF-16 surrogates (not UTF-8), integers beyond 64 bits, deep nesting.

    Walks the payload without recursion, so a deep one costs a refusal, not the stack. A value's
    place (``items.2.text``) is spelled out only for the refusal: it is kept as (parent, key) links.
    """
    stack: list[tuple[Any, Any, int]] = [(payload, None, 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and not _utf8(value):
                raise InvalidRequest("request.invalid", detail=f"{_place(where)}: not valid Unicode text")
        elif isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        elif isinstance(value, int):
            if not -INT_MAX - 1 <= value <= INT_MAX:
                raise InvalidRequest("request.invalid", detail=f"{_place(where)}: out of range")
        elif isinstance(value, (dict, list, tuple)):
            if depth >= NESTING_MAX:
                raise InvalidRequest("request.invalid", detail=f"{_place(where)}: at most {NESTING_MAX} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and not key.isascii() and not _utf8(key):
                    raise InvalidRequest("request.invalid", detail=f"{_place((where, key))}: not valid Unicode text")
                stack.append((item, (where, key), depth + 1))


def _place(where: Any) -> str:
    """A value's place in the payload from its (parent, key) links: ``items.2.text``, or ``payload``."""
    keys: list[str] = []
    while where is not None:
        where, key = where
        keys.append(str(key))
    return ".".join(reversed(keys)) or "payload"


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def parse_json(model: type[M], body: bytes) -> M:
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("request.invalid", detail=f"body is not JSON ({exc})") from None
    except RecursionError:  # nesting deeper than the parser's stack: refused before any schema sees it
        raise InvalidRequest("request.invalid", detail=f"body: at most {NESTING_MAX} levels") from None
    return parse(model, payload)


def _flat_size(payload: Any) -> int | None:
    """The size of an object of strings, numbers and lists of strings (most events) without
    encoding it: its strings' UTF-8 lengths plus punctuation (escapes aside). None for anything else."""
    if not isinstance(payload, dict):
        return None
    size = 2
    for key, value in payload.items():
        if not isinstance(key, str):
            return None
        size += len(key.encode(errors="surrogatepass")) + 4  # lone surrogates are refused later, by parse()
        if isinstance(value, str):
            size += len(value.encode(errors="surrogatepass")) + 2
        elif value is None or isinstance(value, (bool, int, float)):
            size += 24
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            size += 2 + sum(len(v.encode(errors="surrogatepass")) + 3 for v in value)
        else:
            return None
    return size


def payload_size(payload: Any) -> int:
    """Bytes a decoded payload took on the wire, near enough to enforce a limit."""
    if payload is None:
        return 0
    if isinstance(payload, (bytes, bytearray)):
        return len(payload)
    flat = _flat_size(payload)
    if flat is not None:
        return flat
    try:
        return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(errors="surrogatepass"))
    except RecursionError:
        return 0  # parse() refuses it for its depth
    except (TypeError, ValueError):
        return EVENT_PAYLOAD_MAX_BYTES + 1
