"""Reading request bodies: JSON or a 400 problem, validated against a schema or a 422."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from hub.errors import ProblemError, validation_error


def json_body() -> Any:
    """The request's JSON body; 400 problem JSON when it is absent or malformed."""
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        raise ProblemError(400, "The request body is empty; send a JSON document.",
                           errors=[{"path": "", "message": "a JSON body is required"}])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(400, "The request body is not UTF-8 text.",
                           errors=[{"path": "", "message": "body must be UTF-8 JSON"}]) from exc
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        message = getattr(exc, "msg", "too deeply nested")
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ProblemError(400, f"The request body is not valid JSON: {message}{where}.",
                           errors=[{"path": "", "message": f"invalid JSON: {message}{where}"}]) from exc


def require_object(body: Any) -> dict[str, Any]:
    """The body when it is a JSON object; 422 otherwise."""
    if not isinstance(body, dict):
        raise validation_error([{"path": "", "message": "the body must be a JSON object"}])
    return body


def validated_body(schema_path: str) -> Any:
    """The JSON body, checked against a schema file under schemas/ (422 listing every bad path)."""
    from hub.schemas import validate

    body = json_body()
    errors = validate(schema_path, body)
    if errors:
        raise validation_error(errors)
    return body
