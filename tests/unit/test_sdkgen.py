"""The SDK's wire types are generated from the server's models and tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rooms.errors import SPECS
from server import sdkgen
from server.docgen import events, pushes

WIRE_TS = Path(__file__).resolve().parents[2] / "client-sdk" / "src" / "wire.ts"


def test_sdk_wire_types_are_generated_from_the_code() -> None:
    assert WIRE_TS.read_text() == sdkgen.module(), (
        f"client-sdk/src/wire.ts differs from the server's models: run `{sdkgen.COMMAND}` "
        "(then `npm run build` in client-sdk/) and commit the result")


def test_every_event_push_and_error_code_is_in_the_generated_module() -> None:
    text = sdkgen.module()
    requests = text.split("export interface Requests {")[1].split("}\n")[0]
    assert re.findall(r'^  "([^"]+)":', requests, flags=re.M) == [name for name, _, _ in events()]
    push_map = text.split("export interface Pushes {")[1].split("}\n")[0]
    assert re.findall(r'^  "([^"]+)":', push_map, flags=re.M) == [name for name, _ in pushes()]
    assert re.findall(r'^  \| "([^"]+)"', text, flags=re.M) == list(SPECS)


@pytest.mark.parametrize(("schema", "expected"), [
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "string | null"),
    ({"enum": ["inbox", "sent"]}, '"inbox" | "sent"'),
    ({"const": "chat"}, '"chat"'),
    ({"type": "array", "items": {"$ref": "#/$defs/FileRef"}}, "FileRef[]"),
    ({"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}, "(number | null)[]"),
    ({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}, "[string, number]"),
    ({"type": "object", "additionalProperties": {"type": "boolean"}}, "Record<string, boolean>"),
    ({"type": ["string", "null"]}, "string | null"),
    ({"title": "Anything"}, "unknown"),
    ({"$ref": "#/$defs/server__http__mail__ReadBodyIn"}, "MailReadBodyIn"),
])
def test_json_schema_fragments_become_typescript(schema: dict[str, object], expected: str) -> None:
    assert sdkgen._ts(schema) == expected


def test_a_schema_it_cannot_express_fails_loudly() -> None:
    with pytest.raises(ValueError, match="cannot express"):
        sdkgen._ts({"type": "weird"})


def test_comments_cannot_close_themselves() -> None:
    assert sdkgen._comment("matches `a*/b`") == ["/** matches `a*\\/b` */"]
