"""GET /v1/triggers/<name>: polling triggers, newest first, paged by event id."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Response, jsonify, request

from hub.auth import current_principal, require_scope
from hub.errors import ProblemError, validation_error
from hub.runtime import get_runtime
from triggers import TRIGGERS, get_trigger
from triggers.base import poll

blueprint = Blueprint("triggers", __name__)

PAGING = ("limit", "since_id", "before_id")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


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
    if raw is None or raw.strip() == "":
        return default
    bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        message = f"'{name}' must be a whole number {bounds}."
        raise validation_error([{"path": f"/{name}", "message": message}])
    return value


def limit_param() -> int:
    """The limit parameter: 1 to 500, default 100."""
    return int_param("limit", 1, MAX_LIMIT) or DEFAULT_LIMIT


def text_filters(names: Iterable[str]) -> dict[str, str]:
    """The given filter parameters that are present; empty values are refused."""
    found: dict[str, str] = {}
    errors = []
    for name in names:
        if name not in request.args:
            continue
        value = request.args[name].strip()
        if not value:
            errors.append({"path": f"/{name}", "message": f"'{name}' must not be empty."})
        found[name] = value
    if errors:
        raise validation_error(errors)
    return found


@blueprint.get("/v1/triggers/<name>")
@require_scope("automation")
def poll_trigger(name: str) -> Response:
    """The trigger's items, newest first; since_id / before_id page by event id."""
    spec = get_trigger(name)
    if spec is None:
        known = ", ".join(t.name for t in TRIGGERS)
        raise ProblemError(404, f"No trigger named '{name}'. Known triggers: {known}.")
    check_known_params(PAGING + spec.filters)
    limit = limit_param()
    since_id = int_param("since_id", 0)
    before_id = int_param("before_id", 1)
    filters = text_filters(spec.filters)
    with get_runtime().db.session() as session:
        items = poll(session, spec, current_principal().hub_id, filters=filters, limit=limit,
                     since_id=since_id, before_id=before_id)
    return jsonify(items)
