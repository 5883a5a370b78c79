"""The SDK's wire types (``client-sdk/src/wire.ts``), generated from the code.

One TypeScript module from the tables the server runs on: an interface per
pydantic model that an event, a push or a REST endpoint carries (from
``model_json_schema``), the map of client events (payload and ack data), the
map of pushes, the closed union of error codes and the limits. The SDK
imports its wire types from there, so they cannot drift from the server: a
test compares the file with a fresh generation. Regenerate with::

    .venv/bin/python -m server.sdkgen client-sdk/src/wire.ts

Payloads (what a client sends) use the validation schema: a field with a
default may be left out. Data (what the server sends) use the serialization
schema with every field present, since ``wire.jsonable`` dumps every field.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rooms import limits
from rooms.errors import SPECS
from server import wire
from server.docgen import _model
from server.docgen import events as _events
from server.docgen import pushes as _pushes
from server.http.api import ENDPOINTS

COMMAND = ".venv/bin/python -m server.sdkgen client-sdk/src/wire.ts"
Mode = Literal["validation", "serialization"]


# ---- the tables, each read in one place ---------------------------------------
# Events and pushes are read through ``server.docgen.events()`` and ``pushes()``,
# which the protocol document uses too; REST endpoints here. When a table
# changes shape, adapt those functions and nothing else.

def _endpoints() -> list[tuple[type[BaseModel] | None, Any]]:
    """(body model or None, response annotation) for every REST endpoint."""
    return [(ep.body, ep.answers) for ep in ENDPOINTS]


def _limits() -> list[tuple[str, int | float, str]]:
    """(name, value, the reason in its comment) for every limit a client may need."""
    source = inspect.getsource(limits) + inspect.getsource(wire)
    reasons = dict(re.findall(r"^([A-Z][A-Z0-9_]*) = [^#\n]*#\s*(.+)$", source, flags=re.M))
    values: dict[str, int | float] = {n: v for n, v in vars(limits).items()
                                      if n.isupper() and isinstance(v, (int, float)) and not isinstance(v, bool)}
    values["EVENT_PAYLOAD_MAX_BYTES"] = wire.EVENT_PAYLOAD_MAX_BYTES
    values["REST_BODY_MAX_BYTES"] = wire.REST_BODY_MAX_BYTES
    return [(name, value, reasons.get(name, "")) for name, value in values.items()]


# ---- JSON schema to TypeScript ------------------------------------------------

def _ts_name(def_name: str) -> str:
    """A TypeScript identifier for a ``$defs`` key (``server__http__mail__ReadBodyIn`` -> ``MailReadBodyIn``)."""
    if "__" in def_name:
        *modules, cls = def_name.split("__")
        def_name = modules[-1].title() + cls
    return re.sub(r"[^A-Za-z0-9_]", "", def_name)


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _union(parts: list[str]) -> str:
    unique = list(dict.fromkeys(parts))
    return " | ".join(unique) if unique else "never"


def _ts(schema: dict[str, Any]) -> str:
    """The TypeScript type of a JSON schema fragment; anything not understood fails loudly."""
    if "$ref" in schema:
        return _ts_name(schema["$ref"].rsplit("/", 1)[-1])
    if "anyOf" in schema or "oneOf" in schema:
        return _union([_ts(s) for s in schema.get("anyOf") or schema.get("oneOf") or []])
    if "const" in schema:
        return _literal(schema["const"])
    if "enum" in schema:
        return _union([_literal(v) for v in schema["enum"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union([_ts({**schema, "type": k}) for k in kind])
    if kind == "string":
        return "string"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(_ts(s) for s in schema["prefixItems"]) + "]"
        item = _ts(schema.get("items", {}))
        return f"({item})[]" if " " in item else f"{item}[]"
    if kind == "object" and "properties" not in schema:
        extra = schema.get("additionalProperties", True)
        return f"Record<string, {_ts(extra) if isinstance(extra, dict) else 'unknown'}>"
    if not (set(schema) - {"title", "description", "default", "examples"}):
        return "unknown"  # Any
    raise ValueError(f"server/sdkgen.py cannot express this schema in TypeScript: {schema}")


_CONSTRAINTS = (("minLength", "min length"), ("maxLength", "max length"), ("minimum", "min"),
                ("maximum", "max"), ("minItems", "min items"), ("maxItems", "max items"), ("pattern", "pattern"))


def _constraints(prop: dict[str, Any]) -> str:
    """What the server checks of a payload field, and its default, as docs/protocol.md says them."""
    parts = []
    for option in [prop, *prop.get("anyOf", [])]:
        for key, label in _CONSTRAINTS:
            if key in option:
                parts.append(f"{label} `{option[key]}`" if key == "pattern" else f"{label} {option[key]}")
    if "default" in prop:
        parts.append(f"default `{_literal(prop['default'])}`")
    return ", ".join(parts)


def _comment(text: str, indent: str = "") -> list[str]:
    """A TSDoc comment; reST ``code`` becomes Markdown `code` and :class:`X` a link."""
    text = re.sub(r":class:`~?([A-Za-z_.]+)`", lambda m: "{@link " + m[1].rsplit(".", 1)[-1] + "}", text.strip())
    text = re.sub(r"``([^`]+)``", r"`\1`", text).replace("*/", "*\\/")
    if not text:
        return []
    lines = text.split("\n")
    if len(lines) == 1:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *[f"{indent} * {line}".rstrip() for line in lines], f"{indent} */"]


def _interface(name: str, schema: dict[str, Any], mode: Mode) -> list[str]:
    out = _comment(schema.get("description", ""))
    props: dict[str, Any] = schema.get("properties", {})
    if not props:
        # An empty interface would accept any object; the server forbids unknown fields.
        return [*out, f"export type {name} = Record<string, never>;"]
    required = set(schema.get("required", []))
    out.append(f"export interface {name} {{")
    for field, prop in props.items():
        if mode == "validation":
            out += _comment(" ".join(p for p in [prop.get("description", ""), _constraints(prop)] if p), "  ")
        elif prop.get("description"):
            out += _comment(prop["description"], "  ")
        optional = "?" if mode == "validation" and field not in required else ""
        key = field if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", field) else _literal(field)
        out.append(f"  {key}{optional}: {_ts(prop)};")
    out.append("}")
    return out


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["$ref"].rsplit("/", 1)[-1]} if "$ref" in schema else set()
        return found.union(*(_refs(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema))
    return set()


def _definitions() -> tuple[dict[str, tuple[dict[str, Any], Mode]], dict[tuple[type[BaseModel], Mode], str]]:
    """Every model the tables name, with the nested ones: name -> (schema, mode), and (model, mode) -> name."""
    pairs: list[tuple[type[BaseModel], Mode]] = []
    for _name, payload, ack in _events():
        pairs.append((payload, "validation"))
        if model := _model(ack):
            pairs.append((model, "serialization"))
    pairs += [(model, "serialization") for _name, model in _pushes()]
    for body, response in _endpoints():
        if body is not None:
            pairs.append((body, "validation"))
        if model := _model(response):
            pairs.append((model, "serialization"))
    pairs = list(dict.fromkeys(pairs))
    keys, schema = models_json_schema(pairs, ref_template="#/$defs/{model}")
    defs: dict[str, Any] = schema.get("$defs", {})
    top: dict[Any, str] = {pair: key["$ref"].rsplit("/", 1)[-1] for pair, key in keys.items()}
    modes: dict[str, set[Mode]] = {}
    todo = [(name, mode) for (_model_, mode), name in top.items()]
    while todo:
        name, mode = todo.pop()
        if mode in modes.setdefault(name, set()):
            continue
        modes[name].add(mode)
        todo += [(ref, mode) for ref in _refs(defs[name])]
    out: dict[str, tuple[dict[str, Any], Mode]] = {}
    for name, used in sorted(modes.items(), key=lambda item: _ts_name(item[0])):
        if len(used) > 1 and set(defs[name].get("properties", {})) - set(defs[name].get("required", [])):
            raise ValueError(f"{name} is both sent and received and has optional fields; "
                             "server/sdkgen.py would need an input and an output type for it")
        out[_ts_name(name)] = (defs[name], "validation" if used == {"validation"} else "serialization")
    if len(out) != len(modes):
        raise ValueError("two models map to the same TypeScript name")
    return out, {pair: _ts_name(name) for pair, name in top.items()}


def _annotation(annotation: Any, names: dict[tuple[type[BaseModel], Mode], str]) -> str:
    if annotation is None:
        return "null"
    model = _model(annotation)
    if model is None:
        raise ValueError(f"server/sdkgen.py cannot express the ack data {annotation!r} in TypeScript")
    name = names[(model, "serialization")]
    return f"{name}[]" if get_origin(annotation) is list else name


# ---- the module ---------------------------------------------------------------

HEADER = f"""\
// Generated by server/sdkgen.py from the server's models and tables: do not edit.
// Regenerate with `{COMMAND}`;
// tests/unit/test_sdkgen.py fails when this file differs from a fresh generation.
"""


def module() -> str:
    """The text of ``client-sdk/src/wire.ts``."""
    defs, names = _definitions()
    out = [HEADER]
    for title, wanted in (("Payloads: what the client sends (a field with a default may be left out)", "validation"),
                          ("Data: what acks, pushes and REST answers carry (every field is present)",
                           "serialization")):
        out += [f"// ---- {title}", ""]
        for name, (schema, mode) in defs.items():
            if mode == wanted:
                out += [*_interface(name, schema, mode), ""]
    out += ["// ---- Events", "",
            "/** Every request the client may send: its payload and the data of a successful ack. */",
            "export interface Requests {"]
    for name, payload, ack in _events():
        out.append(f"  {_literal(name)}: {{ payload: {names[(payload, 'validation')]}; "
                   f"ack: {_annotation(ack, names)} }};")
    out += ["}", "", "/** Every push the server sends, with its data. */", "export interface Pushes {"]
    out += [f"  {_literal(name)}: {names[(model, 'serialization')]};" for name, model in _pushes()]
    out += ["}", "", "// ---- Errors and limits", "",
            "/** Every error code the server sends (docs/protocol.md, \"Error codes\"). */",
            "export type ErrorCode ="]
    out += [f"  | {_literal(code)}" for code in SPECS]
    out[-1] += ";"
    out += ["", "/** The server's limits (docs/protocol.md, \"Limits\"); `_DEFAULT` ones may be configured. */",
            "export const Limits = {"]
    for name, value, reason in _limits():
        out += _comment(reason, "  ")
        out.append(f"  {name}: {value:_},")
    out += ["} as const;", ""]
    return "\n".join(out)


def write(path: Path) -> None:
    path.write_text(module())


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "client-sdk/src/wire.ts"))
