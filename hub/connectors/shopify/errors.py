"""Shopify's errors (HTTP statuses, GraphQL errors, userErrors), classified through the one table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import requests

from hub.connectors.base import ConnectorError, ErrorKind, ErrorTable, OrderRefused, map_http_error
from hub.work.failures import Fault

# GraphQL error codes (extensions.code) and userErrors first, then HTTP statuses.
ERRORS: ErrorTable = {
    "THROTTLED": ErrorKind.RATE_LIMITED,
    "ACCESS_DENIED": ErrorKind.PERMANENT,
    "MAX_COST_EXCEEDED": ErrorKind.PERMANENT,
    "INTERNAL_SERVER_ERROR": ErrorKind.TRANSIENT,
    "USER_ERROR": ErrorKind.PERMANENT,
    # Answering an order's create, edit or cancel, userErrors are Shopify refusing that order (out of stock,
    # an order it cannot edit or cancel): raised as OrderRefused (see order_refused), never retried.
    401: ErrorKind.PERMANENT,
    402: ErrorKind.PERMANENT,  # shop frozen for unpaid bills
    403: ErrorKind.PERMANENT,
    404: ErrorKind.PERMANENT,
    423: ErrorKind.PERMANENT,  # shop locked
    429: ErrorKind.RATE_LIMITED,
}

# Whose fault, where the code or status says (otherwise 401/403 the configuration's, the rest the vendor's):
# a missing access scope, a frozen or locked shop, an unknown shop need someone to act on the account.
FAULTS: dict[int | str, Fault] = {
    "ACCESS_DENIED": Fault.CONFIGURATION,
    402: Fault.CONFIGURATION,
    404: Fault.CONFIGURATION,
    423: Fault.CONFIGURATION,
}


def throttle_delay(extensions: Mapping[str, Any] | None) -> float | None:
    """Seconds until the query's cost is restored, from extensions.cost.throttleStatus."""
    cost = (extensions or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    restore = status.get("restoreRate")
    if not restore:
        return None
    needed = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
    return float(max(1, math.ceil(needed / float(restore))))


def http_error(response: requests.Response, payload: Any) -> ConnectorError:
    """A failed HTTP answer, with the messages of its GraphQL errors when it has any."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    message = errors if isinstance(errors, str) else None
    if isinstance(errors, list):
        message = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict)) or None
    error = map_http_error(response, ERRORS, message=message)
    error.fault = FAULTS.get(response.status_code, error.fault)
    return error


def graphql_error(payload: Mapping[str, Any], status: int) -> ConnectorError:
    """GraphQL errors in an HTTP 200 answer: a rejected query unless the table says otherwise."""
    errors = payload["errors"]
    first = errors[0] if isinstance(errors, list) and errors else {}
    code = (first.get("extensions") or {}).get("code")
    kind = ERRORS.get(code) if code else None
    if isinstance(errors, list):
        message = "; ".join(str(e.get("message", e)) for e in errors)
    else:
        message = str(errors)
    retry_after = throttle_delay(payload.get("extensions")) if code == "THROTTLED" else None
    return ConnectorError(kind or ErrorKind.PERMANENT, message, retry_after=retry_after,
                          vendor_code=code, status=status, fault=FAULTS.get(code) if code else None)


def user_error(field: str, user_errors: list[dict[str, Any]]) -> ConnectorError:
    """A mutation's userErrors: Shopify refused the data, each field's message kept."""
    parts = []
    for err in user_errors:
        path = ".".join(str(p) for p in err.get("field") or [])
        parts.append(f"{path}: {err.get('message')}" if path else str(err.get("message")))
    code = user_errors[0].get("code") or "USER_ERROR"
    return ConnectorError(ERRORS["USER_ERROR"], f"Shopify {field}: " + "; ".join(parts), vendor_code=code)


def order_refused(field: str, user_errors: list[dict[str, Any]]) -> OrderRefused:
    """An order mutation's userErrors: Shopify refused the order; its messages are the reason."""
    error = user_error(field, user_errors)
    return OrderRefused(error.message, vendor_code=error.vendor_code)
