"""The AsyncAPI 3.0 document of the Socket.IO protocol, generated from the tables the server runs on.

Served at ``/api/v1/asyncapi.json`` and built once at start, like the
OpenAPI document. It reads the events and pushes through
``server/docgen.py`` (the one reader of those tables), so it lists what
``docs/protocol.md`` lists.

AsyncAPI has no Socket.IO binding; the document models it so:

- one server (``ws``/``wss``, path ``/socket.io/``): the Socket.IO v4
  connection on the default namespace, which carries every event;
- one channel per Socket.IO event name, its address the name itself
  (``chat:send``); a name that is both a client event and a push
  (``chat:typing``) is one channel with both messages;
- a client event is an operation the server ``receive``s, its payload
  the event's one argument, and its acknowledgement the operation's
  ``reply`` on the same channel: the ok envelope with the action's result,
  or the error envelope (every error code, ``rooms/errors.py``). An ack
  travels as Socket.IO's acknowledgement of the request's packet id, not
  as an event of its own, which the reply's description says;
- a push is an operation the server ``send``s on its channel.

Payload schemas are pydantic's (``model_json_schema``), the events' in
validation mode (what the server accepts) and acks' and pushes' in
serialization mode (what it sends), their ``$defs`` gathered under
``components/schemas``.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rooms.errors import SPECS
from server import docgen, wire
from server.http.routing import API_PREFIX

VERSION = "3.0.0"
PATH = f"{API_PREFIX}/asyncapi.json"
SOCKETIO_PATH = "/socket.io/"
_SCHEMA = "#/components/schemas/{model}"
_SERVER = "twinspace"

# Schemas of the envelopes, next to the models' (a model of the same name would be refused below).
ERROR_CODE, ERROR_BODY, ACK_ERROR = "ErrorCode", "ErrorBody", "AckError"

DESCRIPTION = f"""\
The Socket.IO events of a Twinspace server, its pushes and their payloads. The prose that explains
them is `docs/protocol.md`; the REST API has its OpenAPI document at `{API_PREFIX}/openapi.json`.

**Connecting.** Socket.IO protocol v4 (Engine.IO 4), default namespace `/`, WebSocket or
long-polling, at the path `{SOCKETIO_PATH}`. The handshake's `auth` object is `{{token, lang}}`: the
portal's JWT and, optionally, the language of messages (otherwise the token's `lang`, then
`Accept-Language`). A refused connection gets a `connect_error` whose `data` is the error body
`{{code, message}}`. When the token expires or is revoked, the server sends `session:ended`
(`{{code, message}}`) and disconnects.

**How Socket.IO is modelled.** AsyncAPI has no Socket.IO binding. Each channel is one Socket.IO
event name (its `address`). A client event is an operation this server *receives*, with exactly
one payload object, sent with an acknowledgement callback; its `reply` is that acknowledgement,
which Socket.IO delivers as the ack of the request's packet id (no event name of its own): either
`{{"ok": true, "data": ...}}` with the action's result, or `{{"ok": false, "error": {{code, message,
data?}}}}`. A push is an operation this server *sends*; it has no acknowledgement.

**Limits.** An event's payload is at most {wire.EVENT_PAYLOAD_MAX_BYTES:,} bytes; larger ones are
answered with `request.too_large`, unknown fields and events with `request.invalid`.
"""


def build(version: str, public_url: str) -> dict[str, Any]:
    """The whole document, for the server whose public address is ``public_url``."""
    events, pushes = docgen.events(), docgen.pushes()
    keyed: dict[tuple[type[BaseModel], str], None] = {}
    for _, payload, result in events:
        keyed[(payload, "validation")] = None
        if (model := _model_of(result)) is not None:
            keyed[(model, "serialization")] = None
    for _, model in pushes:
        keyed[(model, "serialization")] = None
    refs, defs = models_json_schema(list(keyed), ref_template=_SCHEMA)  # type: ignore[arg-type]
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    for name, schema in _envelopes().items():
        assert name not in schemas, f"a model named {name} hides the envelope's schema"
        schemas[name] = schema

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {
        ACK_ERROR: {"name": "error ack", "title": "Refused",
                    "summary": "The acknowledgement of a request that was refused or failed: its error code and message.",
                    "payload": {"$ref": _SCHEMA.format(model=ACK_ERROR)}},
    }

    for name, payload, result in events:
        key = _key(name)
        channel = channels.setdefault(key, _channel(name))
        channel["messages"]["request"] = {"$ref": f"#/components/messages/{key}"}
        channel["messages"]["ok"] = {"$ref": f"#/components/messages/{key}.ok"}
        channel["messages"]["error"] = {"$ref": f"#/components/messages/{ACK_ERROR}"}
        messages[key] = {"name": name, "title": name, "summary": _summary(payload) or f"The `{name}` request.",
                         "payload": refs[(payload, "validation")]}
        messages[f"{key}.ok"] = {"name": f"{name} ack", "title": f"{name}: done",
                                 "summary": f"The acknowledgement of `{name}` that succeeded: its result.",
                                 "payload": _ok(_result_schema(result, refs))}
        operations[key] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "title": name,
            "summary": f"The client emits `{name}` with one payload object and an acknowledgement callback.",
            "tags": [{"name": _area(name)}],
            "messages": [{"$ref": f"#/channels/{key}/messages/request"}],
            "reply": {
                "channel": {"$ref": f"#/channels/{key}"},
                "messages": [{"$ref": f"#/channels/{key}/messages/ok"},
                             {"$ref": f"#/channels/{key}/messages/error"}],
                "x-socketio-ack": "The Socket.IO acknowledgement of the request's packet id, not an event.",
            },
        }

    for name, model in pushes:
        key = _key(name)
        channel = channels.setdefault(key, _channel(name))
        channel["messages"]["push"] = {"$ref": f"#/components/messages/{key}.push"}
        messages[f"{key}.push"] = {"name": name, "title": name,
                                   "summary": _summary(model) or f"The `{name}` push.",
                                   "payload": refs[(model, "serialization")]}
        operations[f"{key}.push"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "title": f"{name} (push)",
            "summary": f"The server emits `{name}` with one data object, without an acknowledgement.",
            "tags": [{"name": _area(name)}],
            "messages": [{"$ref": f"#/channels/{key}/messages/push"}],
        }

    parts = urlsplit(public_url)
    return {
        "asyncapi": VERSION,
        "id": "urn:twinspace:socketio",
        "info": {"title": "Twinspace real-time API", "version": version, "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {_SERVER: {
            "host": parts.netloc,
            "protocol": "wss" if parts.scheme == "https" else "ws",
            "protocolVersion": "Socket.IO 4 (Engine.IO 4)",
            "pathname": SOCKETIO_PATH,
            "title": "Socket.IO",
            "description": ("Socket.IO v4 on the default namespace `/`: WebSocket (`?EIO=4&transport=websocket`) "
                            "or HTTP long-polling (`?EIO=4&transport=polling`) upgraded to WebSocket."),
            "security": [{"$ref": "#/components/securitySchemes/token"}],
        }},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "channelBindings": {"socketio": {"ws": {
                "method": "GET", "bindingVersion": "0.1.0",
                "query": {"type": "object", "required": ["EIO", "transport"], "properties": {
                    "EIO": {"const": "4", "description": "the Engine.IO protocol version"},
                    "transport": {"enum": ["websocket", "polling"],
                                  "description": "polling first, then upgraded, or WebSocket at once"},
                }},
                "x-socketio": ("Every channel is one event name on the same Socket.IO connection (default "
                               "namespace `/`): this is that connection's handshake."),
            }}},
            "securitySchemes": {"token": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": ("The portal's JWT, given in the Socket.IO handshake's `auth` object as "
                                "`{token, lang}` (not in an HTTP header; REST calls send it as "
                                "`Authorization: Bearer`). `lang` is optional: the language of messages."),
                "x-socketio-auth": {"type": "object", "required": ["token"], "properties": {
                    "token": {"type": "string", "description": "the portal's JWT"},
                    "lang": {"type": "string", "description": "the language of messages, e.g. `fr`"},
                }},
            }},
        },
    }


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _result_schema(result: Any, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """The schema of an ack's ``data``: the result's model, a list of it, or nothing (null)."""
    model = _model_of(result)
    if model is None:
        assert result is None, f"an ack's result must be a model, a list of one, or None: {result!r}"
        return {"type": "null"}
    schema = refs[(model, "serialization")]
    return {"type": "array", "items": schema} if get_origin(result) is list else schema


def _ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["ok", "data"],
            "properties": {"ok": {"const": True}, "data": data}}


def _envelopes() -> dict[str, Any]:
    return {
        ERROR_CODE: {"type": "string", "enum": sorted(SPECS),
                     "description": "Every error code (`rooms/errors.py`): stable, dotted, to branch on."},
        ERROR_BODY: {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"$ref": _SCHEMA.format(model=ERROR_CODE)},
            "message": {"type": "string", "description": "For people, in the connection's language."},
            "data": {"type": "object", "description": "The values the message speaks of, for some codes."},
            "request_id": {"type": "string", "pattern": "^[0-9a-f]{16}$",
                           "description": "The refused request's id, as its log line carries it: what a user "
                                          "gives support."},
        }, "additionalProperties": False},
        ACK_ERROR: {"type": "object", "required": ["ok", "error"], "properties": {
            "ok": {"const": False}, "error": {"$ref": _SCHEMA.format(model=ERROR_BODY)}}},
    }


def _channel(name: str) -> dict[str, Any]:
    return {"address": name, "title": name, "messages": {}, "servers": [{"$ref": f"#/servers/{_SERVER}"}],
            "bindings": {"$ref": "#/components/channelBindings/socketio"}}


def _key(name: str) -> str:
    """A name as a key of the document (``chat:send`` -> ``chat.send``): keys allow no colon."""
    return name.replace(":", ".")


def _area(name: str) -> str:
    return name.split(":", 1)[0]


def _summary(model: type[BaseModel]) -> str:
    doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return "" if doc.startswith("Usage docs") else doc
