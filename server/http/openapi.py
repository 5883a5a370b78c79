"""The OpenAPI 3.1 document, generated from the endpoint declarations and their schemas."""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rooms.errors import SPECS
from server.http.routing import API_PREFIX, Endpoint

_REF = "#/components/schemas/{model}"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        return get_args(annotation)[0]  # type: ignore[no-any-return]
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def build(endpoints: list[Endpoint], version: str) -> dict[str, Any]:
    models: dict[type[BaseModel], None] = {}
    for ep in endpoints:
        for annotation in (ep.body, ep.answers):
            model = _model_of(annotation)
            if model is not None:
                models[model] = None
    keyed = [(m, "validation" if any(ep.body is m for ep in endpoints) else "serialization") for m in models]
    refs, schemas = models_json_schema(keyed, ref_template=_REF)  # type: ignore[arg-type]

    error_schema = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": sorted(SPECS)},
            "message": {"type": "string"},
            "data": {"type": "object"},
            "request_id": {"type": "string", "description": "The request's id, as its log line carries it: "
                           "what a user gives support (server/logs.py)"},
        }}},
    }
    components = {**schemas.get("$defs", {}), "Error": error_schema}

    paths: dict[str, Any] = {}
    for ep in endpoints:
        op: dict[str, Any] = {
            "summary": ep.summary,
            "tags": [ep.tag],
            "operationId": f"{ep.method.lower()}_{re.sub(r'[^a-z]+', '_', ep.path.lower()).strip('_')}",
            "security": [{"bearer": []}],
            "responses": {"default": {"description": "error",
                                      "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}}}},
        }
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in re.findall(r"{(\w+)}", ep.path)]
        params += [{"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
                   for n, d in ep.query]
        if params:
            op["parameters"] = params
        if ep.raw_body is not None:
            op["requestBody"] = {"required": True, "content": {ep.raw_body: {
                "schema": {"type": "string", "format": "binary"}}}}
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(ep.body, "validation")]}}}
        model = _model_of(ep.answers)
        if ep.answers is bytes:
            op["responses"]["200"] = {"description": "the file's bytes",
                                      "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
            op["responses"]["206"] = {"description": "the requested byte range"}
        elif model is None:
            op["responses"][str(ep.status if ep.answers is not None else 204)] = {"description": "done"}
        else:
            schema = refs.get((model, "serialization")) or refs[(model, "validation")]
            if get_origin(ep.answers) is list:
                schema = {"type": "array", "items": schema}
            op["responses"][str(ep.status)] = {"description": "ok",
                                               "content": {"application/json": {"schema": schema}}}
        paths.setdefault(API_PREFIX + ep.path, {})[ep.method.lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {"title": "Twinspace API", "version": version},
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }
