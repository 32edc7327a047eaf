"""Simphony's errors (HTTP statuses, SOAP faults, OperationalResult codes), classified through one table."""

from __future__ import annotations

from typing import Any

import requests
import zeep.exceptions

from hub.connectors.base import ConnectorError, ErrorKind, ErrorTable, map_http_error, transport_error
from hub.work.failures import Fault

# The one error table: HTTP statuses of the transport and Transaction Services'
# OperationalResult.ErrorCode values. Unlisted codes are permanent (bad settings or
# rejected data); unlisted 5xx statuses are transient.
ERRORS: ErrorTable = {
    401: ErrorKind.PERMANENT,
    403: ErrorKind.PERMANENT,
    404: ErrorKind.PERMANENT,
    408: ErrorKind.TRANSIENT,
    429: ErrorKind.RATE_LIMITED,
    "AppInitInProgress": ErrorKind.TRANSIENT,
    "ConnectionDown": ErrorKind.TRANSIENT,
    "EGatewayClientStartError": ErrorKind.TRANSIENT,
    "EGatewayConnectionError": ErrorKind.TRANSIENT,
    "EGatewayConnectionNotInPool": ErrorKind.TRANSIENT,
    "EGatewayWaitConnectionTimeout": ErrorKind.TRANSIENT,
    "InternalCommunicationError": ErrorKind.TRANSIENT,
    "TransactionLocked": ErrorKind.TRANSIENT,
    "CheckOpenedOnSystem": ErrorKind.TRANSIENT,
}
# Whose fault a failure is, where the status or code says (default: 401/403 configuration, else the vendor).
# These name something the connection's settings hold: the endpoint, vendor code, employee, revenue centers.
FAULTS: dict[int | str, Fault] = {
    404: Fault.CONFIGURATION,  # no service at the configured endpoint_url
    "EmployeeNotFound": Fault.CONFIGURATION,
    "EmployeeRVCMismatch": Fault.CONFIGURATION,
    "InvalidEmployeeNumber": Fault.CONFIGURATION,
    "InvalidRvcNum": Fault.CONFIGURATION,
    "InvalidPropertyNum": Fault.CONFIGURATION,
    "InvalidOrderTypeNumber": Fault.CONFIGURATION,
    "InvalidClientName": Fault.CONFIGURATION,
    "LicensingFailed": Fault.CONFIGURATION,
}
# A SOAP fault is permanent unless its code or message says the service was busy.
TRANSIENT_FAULT_WORDS = ("busy", "timeout", "timed out", "time out", "temporarily", "unavailable",
                         "try again", "too many")
# GetCheckDetail answers these for a check that no longer exists (deleted or merged).
GONE_CHECK_CODES = frozenset({"CheckNotFound", "InvalidCheckNumber"})
# A WSDL that declares a DTD or entities, or imports other documents, is refused (see hub.outbound.soap).
_FORBIDDEN_XML = (zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden,
                  zeep.exceptions.ExternalReferenceForbidden)


def classify(exc: Exception, doing: str) -> ConnectorError:
    """A SOAP fault, transport failure or unreadable reply as a ConnectorError."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, zeep.exceptions.Fault):
        words = f"{exc.code or ''} {exc.message or ''}".lower()
        kind = ErrorKind.TRANSIENT if any(w in words for w in TRANSIENT_FAULT_WORDS) else ErrorKind.PERMANENT
        return ConnectorError(kind, f"Simphony {doing} failed with SOAP fault: {exc.message}",
                              vendor_code=exc.code or None)
    if isinstance(exc, zeep.exceptions.TransportError):
        status = exc.status_code or 0
        # A 200 whose body is not XML comes from a proxy or a restarting service: try again.
        kind = ERRORS.get(status) or (ErrorKind.TRANSIENT if status >= 500 or status == 200
                                      else ErrorKind.PERMANENT)
        return ConnectorError(kind, f"Simphony {doing}: HTTP {status}: {exc.message[:300]}", status=status,
                              fault=FAULTS.get(status))
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        err = http_failure(exc.response)
        err.message = f"Simphony {doing}: {err.message}"
        return err
    if isinstance(exc, requests.RequestException):
        err = transport_error(exc)
        err.message = f"Simphony {doing}: {err.message}"
        return err
    if isinstance(exc, _FORBIDDEN_XML):
        return ConnectorError(ErrorKind.PERMANENT, f"Simphony {doing}: the document declares a DTD or "
                              f"entities, or imports another document ({type(exc).__name__}); the hub "
                              "reads only self-contained WSDLs")
    # XML that does not match the WSDL, or a request zeep refuses: a settings or version problem.
    return ConnectorError(ErrorKind.PERMANENT, f"Simphony {doing}: {type(exc).__name__}: {exc}")


def failed_operation(outcome: Any, operation: str) -> ConnectorError:
    """An OperationalResult without Success, classified by its ErrorCode."""
    code = str(outcome.ErrorCode or "UnknownExceptionCode")
    message = outcome.ErrorMessage or code
    return ConnectorError(ERRORS.get(code, ErrorKind.PERMANENT), f"Simphony {operation} failed: {message}",
                          vendor_code=code, fault=FAULTS.get(code))


def http_failure(response: requests.Response) -> ConnectorError:
    """A failed HTTP answer through the error table, with whose fault it is."""
    error = map_http_error(response, ERRORS)
    error.fault = FAULTS.get(response.status_code, error.fault)
    return error
