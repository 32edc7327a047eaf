"""Byte's errors, classified through the one table of the Byte connector."""

from __future__ import annotations

import requests

from hub.connectors.base import ConnectorError, ErrorKind, ErrorTable, map_http_error
from hub.connectors.byte_fridge.fields import get_path
from hub.work.failures import Fault

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
# Whose fault, where the status says (otherwise 401/403 the configuration's, the rest the vendor's):
# a path the account does not have is a settings problem.
FAULTS: dict[int, Fault] = {404: Fault.CONFIGURATION, 405: Fault.CONFIGURATION}


def byte_error(response: requests.Response, message_field: str) -> ConnectorError:
    """A failed answer, classified by its status, with the vendor's message kept."""
    error = map_http_error(response, ERRORS, message=vendor_message(response, message_field))
    error.fault = FAULTS.get(response.status_code, error.fault)
    return error


def settings_error(message: str) -> ConnectorError:
    """A reply the configured paths or field names do not fit: permanent, and the settings must change."""
    return ConnectorError(ErrorKind.PERMANENT, message, fault=Fault.CONFIGURATION)


def refused_in_part(response: requests.Response, body: object, errors_field: str) -> ConnectorError | None:
    """A push answer saying some records were not applied (listed errors, or 207 Multi-Status), else None."""
    listed = get_path(body, errors_field) if errors_field else None
    if isinstance(listed, list) and listed:
        texts = [str(get_path(e, "message") or e) if isinstance(e, dict) else str(e) for e in listed]
        return ConnectorError(ErrorKind.PERMANENT, f"Byte refused {len(listed)} of the pushed records: "
                              + "; ".join(texts)[:500], status=response.status_code)
    if response.status_code == 207:
        return ConnectorError(ErrorKind.PERMANENT, "Byte answered 207 Multi-Status: some pushed records may "
                              "not have been applied", status=207)
    return None


def vendor_message(response: requests.Response, message_field: str) -> str | None:
    """The vendor's error text in an answer, under the configured field or the usual ones."""
    try:
        body = response.json()
    except ValueError:
        return None
    for path in (message_field, "message", "error.message", "error", "detail"):
        found = get_path(body, path)
        if isinstance(found, str) and found:
            return found
    return None
