"""Square's errors, classified through the one table of the Square connector."""

from __future__ import annotations

import requests

from hub.connectors.base import ConnectorError, ErrorKind, ErrorTable, OrderRefused, map_http_error
from hub.work.failures import Fault

# Square error codes first, then HTTP statuses; anything else: 5xx transient, other 4xx permanent.
ERRORS: ErrorTable = {
    "UNAUTHORIZED": ErrorKind.PERMANENT,
    "ACCESS_TOKEN_EXPIRED": ErrorKind.PERMANENT,
    "ACCESS_TOKEN_REVOKED": ErrorKind.PERMANENT,
    "FORBIDDEN": ErrorKind.PERMANENT,
    "INSUFFICIENT_SCOPES": ErrorKind.PERMANENT,
    "IDEMPOTENCY_KEY_REUSED": ErrorKind.PERMANENT,
    "RATE_LIMITED": ErrorKind.RATE_LIMITED,
    "INTERNAL_SERVER_ERROR": ErrorKind.TRANSIENT,
    "SERVICE_UNAVAILABLE": ErrorKind.TRANSIENT,
    "GATEWAY_TIMEOUT": ErrorKind.TRANSIENT,
    "BAD_GATEWAY": ErrorKind.TRANSIENT,
    "REQUEST_TIMEOUT": ErrorKind.TRANSIENT,
    # Orders: someone changed the order in Square since it was read; read it again and retry.
    "VERSION_MISMATCH": ErrorKind.TRANSIENT,
    # Orders: Square refused the order itself (see ORDER_REFUSALS).
    "NOT_FOUND": ErrorKind.PERMANENT,
    "INVALID_LOCATION": ErrorKind.PERMANENT,
    "LOCATION_MISMATCH": ErrorKind.PERMANENT,
    "CUSTOMER_NOT_FOUND": ErrorKind.PERMANENT,
    "PAYMENT_AMOUNT_MISMATCH": ErrorKind.PERMANENT,
    "CURRENCY_MISMATCH": ErrorKind.PERMANENT,
    "UNSUPPORTED_CURRENCY": ErrorKind.PERMANENT,
    401: ErrorKind.PERMANENT,
    403: ErrorKind.PERMANENT,
    408: ErrorKind.TRANSIENT,
    429: ErrorKind.RATE_LIMITED,
}
# Codes that only support staff can fix (a new token, more permissions), whatever the HTTP status.
CONFIGURATION_CODES = frozenset({"UNAUTHORIZED", "ACCESS_TOKEN_EXPIRED", "ACCESS_TOKEN_REVOKED", "FORBIDDEN",
                                 "INSUFFICIENT_SCOPES"})
# Permanent codes that, answering an order's create, update or cancel, mean Square refused that order
# (unknown catalog object, a location it cannot be sold at, a payment that does not pay it): the order is
# rejected with Square's detail instead of failing the delivery.
ORDER_REFUSALS = frozenset({"NOT_FOUND", "INVALID_LOCATION", "LOCATION_MISMATCH", "CUSTOMER_NOT_FOUND",
                            "PAYMENT_AMOUNT_MISMATCH", "CURRENCY_MISMATCH", "UNSUPPORTED_CURRENCY"})
# Codes that only mean the token lacks an optional permission (device status needs DEVICES_READ).
MISSING_PERMISSION = frozenset({"INSUFFICIENT_SCOPES", "FORBIDDEN"})


def square_error(response: requests.Response) -> ConnectorError:
    """A failed Square answer: its first error code decides the kind, every error's detail is kept."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        errors = []  # not Square's error shape: classified by the HTTP status alone
    if not errors:
        return map_http_error(response, ERRORS)
    parts = []
    for err in errors:
        text = err.get("detail") or err.get("code", "")
        if err.get("field"):
            text = f"{text} (field {err['field']})"
        parts.append(text)
    error = map_http_error(response, ERRORS, vendor_code=errors[0].get("code"), message="; ".join(parts))
    if error.vendor_code in CONFIGURATION_CODES:
        error.fault = Fault.CONFIGURATION
    return error


def order_error(exc: ConnectorError) -> ConnectorError:
    """A failed order call as the hub needs it: Square's refusal of the order (ORDER_REFUSALS) becomes
    OrderRefused with Square's detail; anything else is returned unchanged."""
    refused = exc.kind is ErrorKind.PERMANENT and exc.vendor_code in ORDER_REFUSALS
    if isinstance(exc, OrderRefused) or not refused:
        return exc
    return OrderRefused(f"Square refused the order: {exc.message}", vendor_code=exc.vendor_code,
                        status=exc.status)
