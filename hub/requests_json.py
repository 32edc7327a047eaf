"""Reading request bodies: JSON or a 400/415 problem, validated against a schema or a 422."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from hub.errors import ProblemError, validation_error
from hub.untrusted_json import UnreadableJson, loads, unstorable_values

JSON_MEDIA_TYPE = "application/json"


def _check_media_type() -> None:
    """415 unless the body is declared as JSON (application/json or application/*+json, UTF-8).

    A body without any Content-Type is read as JSON: the hub speaks nothing else, and small POS
    firmwares do leave the header out.
    """
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    is_json = mimetype == JSON_MEDIA_TYPE or (
        mimetype.startswith("application/") and mimetype.endswith("+json"))
    if (mimetype and not is_json) or charset not in ("utf-8", "utf8"):
        sent = request.headers.get("Content-Type", "")
        message = f"the body must be sent as {JSON_MEDIA_TYPE} (UTF-8), not {sent}"
        raise ProblemError(415, f"Send the request body as '{JSON_MEDIA_TYPE}'; it was sent as '{sent}'.",
                           errors=[{"path": "", "message": message}])


def json_body() -> Any:
    """The request's JSON body; 400 when absent or malformed, 415 when not declared as JSON, 422 naming
    every string that holds NUL or a lone surrogate (no database column can store those)."""
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        raise ProblemError(400, "The request body is empty; send a JSON document.",
                           errors=[{"path": "", "message": "a JSON body is required"}])
    _check_media_type()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(400, "The request body is not UTF-8 text.",
                           errors=[{"path": "", "message": "body must be UTF-8 JSON"}]) from exc
    try:
        body = loads(text)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            message = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        else:
            message = str(exc) if isinstance(exc, UnreadableJson) else "it is nested too deeply"
        raise ProblemError(400, f"The request body is not valid JSON: {message}.",
                           errors=[{"path": "", "message": f"invalid JSON: {message}"}]) from exc
    errors = unstorable_values(body)
    if errors:
        raise validation_error(errors)
    return body


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
