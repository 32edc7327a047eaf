"""Byte's errors, classified through the one table of the Byte connector."""

from __future__ import annotations

import requests

from hub.connectors.base import ConnectorError, ErrorKind, ErrorTable, map_http_error
from hub.connectors.byte_fridge.fields import get_path

# The one error table; unlisted 5xx are transient and other unlisted statuses permanent.
ERRORS: ErrorTable = {
    400: ErrorKind.PERMANENT,
    401: ErrorKind.PERMANENT,
    403: ErrorKind.PERMANENT,
    404: ErrorKind.PERMANENT,
    408: ErrorKind.TRANSIENT,
    409: ErrorKind.PERMANENT,
    422: ErrorKind.PERMANENT,
    429: ErrorKind.RATE_LIMITED,
}


def byte_error(response: requests.Response, message_field: str) -> ConnectorError:
    """A failed answer, classified by its status, with the vendor's message kept."""
    return map_http_error(response, ERRORS, message=_vendor_message(response, message_field))


def _vendor_message(response: requests.Response, message_field: str) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    for path in (message_field, "message", "error.message", "error", "detail"):
        found = get_path(body, path)
        if isinstance(found, str) and found:
            return found
    return None
