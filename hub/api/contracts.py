"""The contracts: GET /v1/contracts, GET /schemas/<path> and GET /openapi.json, all from schemas/."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, jsonify, request

from hub.auth import require_scope
from hub.errors import ProblemError
from hub.openapi import build_openapi
from hub.schemas import all_schema_paths, example, schema

blueprint = Blueprint("contracts", __name__)


def _link(path: str | None) -> str | None:
    return f"/schemas/{path}" if path else None


def contracts() -> dict[str, Any]:
    """Every registered trigger and action with its schemas and a sample."""
    from actions import ACTIONS
    from triggers import TRIGGERS

    return {
        "triggers": [{"name": t.name, "title": t.title, "description": t.description,
                      "output_schema": _link(t.output_schema), "filters_schema": _link(t.filters_schema),
                      "sample": t.sample()} for t in TRIGGERS],
        "actions": [{"name": a.name, "title": a.title, "description": a.description,
                     "input_schema": _link(a.input_schema), "output_schema": _link(a.output_schema),
                     "sample": example(a.input_schema)} for a in ACTIONS],
    }


@blueprint.get("/v1/contracts")
@require_scope("automation", "pos", "admin")
def list_contracts() -> Response:
    """Every trigger and action with its input schema, output schema and sample."""
    return jsonify(contracts())


@blueprint.get("/schemas/<path:path>")
def get_schema(path: str) -> Response:
    """One schema file, as stored under schemas/."""
    if path not in set(all_schema_paths()):
        raise ProblemError(404, f"No schema {path!r}; GET /v1/contracts lists the contracts.")
    response = Response(json.dumps(schema(path), indent=2), mimetype="application/schema+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@lru_cache(maxsize=8)
def _openapi_text(base_url: str) -> str:
    return json.dumps(build_openapi(base_url))


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document built from the schema files."""
    return Response(_openapi_text(request.host_url.rstrip("/")), mimetype="application/json")
