"""The contracts: GET /v1/contracts and GET /schemas/<path>, from schemas/ (/openapi.json: hub.openapi)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify

from hub.endpoints import ANY_KEY, Endpoint
from hub.errors import ProblemError
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
@Endpoint(
    operation_id="list_contracts", summary="List trigger and action contracts", tag="Contracts",
    scopes=ANY_KEY, response="contracts.output.json",
    description="Every trigger and action with links to its JSON Schemas and a sample.",
)
def list_contracts() -> Response:
    """Every trigger and action with its input schema, output schema and sample."""
    return jsonify(contracts())


@blueprint.get("/schemas/<path:path>")
@Endpoint(
    operation_id="get_schema", summary="One JSON Schema file", tag="Contracts", scopes=(),
    description="Serves a schema file by its path, e.g. /schemas/triggers/new_purchase.output.json.",
    path_params=(("path", "The schema file's path, e.g. triggers/new_purchase.output.json."),),
    errors=(404,), response_description="The JSON Schema document.", inline_response={"type": "object"},
)
def get_schema(path: str) -> Response:
    """One schema file, as stored under schemas/."""
    if path not in set(all_schema_paths()):
        raise ProblemError(404, f"No schema {path!r}; GET /v1/contracts lists the contracts.")
    response = Response(json.dumps(schema(path), indent=2), mimetype="application/schema+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
