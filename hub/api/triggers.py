"""GET /v1/triggers/<name>: polling triggers, newest first, paged by event id."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from flask import Blueprint, Response, request

from hub import schemas
from hub.auth import current_principal
from hub.endpoints import AUTOMATION, Endpoint, endpoint_per
from hub.errors import ProblemError, validation_error
from hub.runtime import get_runtime
from triggers import TRIGGERS, get_trigger
from triggers.base import PRUNED_HEADER, PRUNED_HEADER_DESCRIPTION, TriggerSpec, poll_json, pruned_before

blueprint = Blueprint("triggers", __name__)

PAGING = ("limit", "since_id", "before_id")
PAGING_SCHEMA = "common/trigger_paging.json"
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def check_known_params(allowed: Iterable[str]) -> None:
    """422 naming every query parameter this endpoint does not take."""
    allowed = tuple(allowed)
    unknown = [name for name in request.args if name not in allowed]
    if unknown:
        known = ", ".join(allowed)
        raise validation_error([
            {"path": f"/{name}", "message": f"'{name}' is not a parameter here (known: {known})."}
            for name in unknown
        ])


def int_param(name: str, minimum: int, maximum: int | None = None, default: int | None = None) -> int | None:
    """A whole-number query parameter within bounds, or its default; 422 on /<name> otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
    text = raw.strip()
    # ASCII digits only (int() also takes "1_000" and other scripts' digits); the length cap keeps
    # int() away from endless literals.
    value = int(text) if _WHOLE_NUMBER.fullmatch(text) and len(text) <= 40 else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        message = f"'{name}' must be a whole number {bounds}."
        raise validation_error([{"path": f"/{name}", "message": message}])
    return value


@cache
def _paging_property(name: str) -> dict[str, Any]:
    return schemas.schema(PAGING_SCHEMA)["properties"][name]


def paging_param(name: str) -> int | None:
    """A paging parameter (limit, since_id, before_id) within the bounds its schema declares."""
    prop = _paging_property(name)
    return int_param(name, prop["minimum"], prop["maximum"], prop.get("default"))


# The limit parameter as /openapi.json declares it, for the endpoints that take limit_param().
LIMIT_PARAM = ("limit", f"{PAGING_SCHEMA}#/properties/limit", "How many entries to return at most (1 to 500; "
               "default 100).")


def limit_param() -> int:
    """The limit parameter: 1 to 500, default 100 (common/trigger_paging.json)."""
    return paging_param("limit") or _paging_property("limit")["default"]


def text_filters(names: Iterable[str]) -> dict[str, str]:
    """The given filter parameters that have a value; an empty one means no filter (all)."""
    values = {name: request.args.get(name, "").strip() for name in names}
    return {name: value for name, value in values.items() if value}


def _poll_endpoint(spec: TriggerSpec) -> Endpoint:
    """The contract of polling one trigger, from its output and filters schemas."""
    output = schemas.schema(spec.output_schema)
    return Endpoint(
        operation_id=f"poll_{spec.name}", summary=f"Poll the {output['title']} trigger", tag="Triggers",
        description=output["description"]
        + " Returns a list of events, newest first, each with a unique and stable id."
        " Use since_id to walk forward from a cursor (each page holds the oldest events after it)"
        " and before_id to page back. A cursor below the events retention kept answers what is left,"
        f" with the {PRUNED_HEADER} header.",
        scopes=AUTOMATION, response=spec.output_schema, response_is_list=True,
        query=(PAGING_SCHEMA, spec.filters_schema), errors=(400, 422),
        response_description="Events, newest first.",
        headers=((PRUNED_HEADER, PRUNED_HEADER_DESCRIPTION),),
    )


@blueprint.get("/v1/triggers/<name>")
@endpoint_per("name", {spec.name: _poll_endpoint(spec) for spec in TRIGGERS})
def poll_trigger(name: str) -> Response:
    """The trigger's items, newest first; since_id / before_id page by event id."""
    spec = get_trigger(name)
    if spec is None:
        known = ", ".join(t.name for t in TRIGGERS)
        raise ProblemError(404, f"No trigger named '{name}'. Known triggers: {known}.")
    check_known_params(PAGING + spec.filters)
    limit = limit_param()
    since_id = paging_param("since_id")
    before_id = paging_param("before_id")
    filters = text_filters(spec.filters)
    if errors := schemas.validate(spec.filters_schema, filters):  # e.g. a status that is none of its enum
        raise validation_error(errors)
    with get_runtime().db.session() as session:
        body = poll_json(session, spec, current_principal().hub_id, filters=filters, limit=limit,
                         since_id=since_id, before_id=before_id)
        first_kept = pruned_before(session, current_principal().hub_id, since_id, before_id)
    # The bytes jsonify(poll(...)) gives (compact, with its newline), built without decoding the payloads.
    response = Response(body + "\n", mimetype="application/json")
    if first_kept is not None:
        response.headers[PRUNED_HEADER] = str(first_kept)
    return response
