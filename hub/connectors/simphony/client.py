"""Transaction Services Gen1 over SOAP (zeep) for one property: the WSDL, the endpoint, classified calls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import zeep
from lxml import etree

from hub.connectors.base import ConnectorError, ErrorKind
from hub.connectors.simphony.embedded import embedded_records, text
from hub.connectors.simphony.errors import ERRORS, classify, failed_operation, http_failure
from hub.outbound.soap import GuardedTransport, safe_settings
from hub.work.failures import Fault

NAMESPACE = "http://micros-hosting.com/EGateway/"
SOAP11_BINDING = f"{{{NAMESPACE}}}SimphonyPosAPIWebSoap"
# WSDLs shipped in the repository, by the name a connection's wsdl_location gives.
SHIPPED_WSDLS = {"sts-gen1": Path(__file__).resolve().parent / "wsdl" / "sts-gen1.wsdl"}
# One text for every wsdl_location that is neither: it never says whether a file exists.
WSDL_SOURCE_RULE = ("settings/wsdl_location must be an http:// or https:// URL of the WSDL, or the name of a "
                    f"WSDL shipped with the hub ({', '.join(SHIPPED_WSDLS)}); the hub reads no other files")
ENDPOINT_RULE = ("settings/endpoint_url is missing: the hub calls Simphony only at the configured service "
                 "address, never at the address written in the WSDL")


# The start of a SOAP envelope, whatever its prefix; looked for near the top of an answer.
_ENVELOPE = re.compile(rb"<(?:[\w.-]+:)?Envelope[\s>/]")


class _Transport(GuardedTransport):
    """The guarded zeep transport, turning the statuses of the error table into classified errors.

    Statuses listed in the table (429 with its Retry-After, 401, 403, 404) never reach
    zeep, nor do error pages of proxies; a 500 carrying a SOAP fault does, because .NET
    services send their faults with it. A success that is not a SOAP envelope (a proxy's
    or a restarting IIS's HTML page) is a passing vendor failure, worth a retry.
    """

    def post(self, address: str, message: Any, headers: Any) -> requests.Response:
        response = super().post(address, message, headers)
        status = response.status_code
        is_fault = b"Fault>" in response.content
        if status in ERRORS or (status >= 400 and not is_fault):
            raise http_failure(response)
        if status < 300 and not _ENVELOPE.search(response.content[:4096]):
            raise not_an_envelope(response)
        return response


def not_an_envelope(response: requests.Response) -> ConnectorError:
    """A success whose body is no SOAP envelope: transient, the vendor's side (never the settings)."""
    content_type = response.headers.get("Content-Type", "")
    html = "html" in content_type.lower() or b"<html" in response.content[:4096].lower()
    what = "an HTML page" if html else f"a {content_type or 'body'} that is not a SOAP envelope"
    return ConnectorError(ErrorKind.TRANSIENT, f"HTTP {response.status_code}: Simphony answered with {what}, "
                          "as a proxy or a restarting service does; the hub will try again",
                          status=response.status_code, fault=Fault.VENDOR)


@dataclass
class SimphonyClient:
    """Calls Transaction Services at the configured endpoint, with the WSDL from a checked source."""

    http: requests.Session
    timeout: float
    wsdl_location: str
    endpoint: str | None
    _service: Any = field(default=None, init=False, repr=False)

    def wsdl_source(self) -> str:
        """The WSDL's URL, or the path of a shipped WSDL; any other value is refused with one text."""
        if self.wsdl_location in SHIPPED_WSDLS:
            return str(SHIPPED_WSDLS[self.wsdl_location])
        if re.match(r"(?i)https?://", self.wsdl_location):
            return self.wsdl_location
        raise ConnectorError(ErrorKind.PERMANENT, WSDL_SOURCE_RULE, fault=Fault.CONFIGURATION)

    def service(self) -> Any:
        """The zeep service proxy at the configured endpoint, built on first use (constructing is free)."""
        if self._service is None:
            wsdl = self.wsdl_source()
            if not self.endpoint:
                raise ConnectorError(ErrorKind.PERMANENT, ENDPOINT_RULE, fault=Fault.CONFIGURATION)
            # The connector's session carries every request, so tests mock it with `responses`.
            transport = _Transport(self.http, self.timeout, local_files=SHIPPED_WSDLS.values())
            try:
                client = zeep.Client(wsdl, transport=transport, settings=safe_settings())
                self._service = client.create_service(SOAP11_BINDING, self.endpoint)
            except Exception as exc:  # noqa: BLE001 - every failure is classified, none is lost
                raise classify(exc, "loading the WSDL") from exc
        return self._service

    def call(self, operation: str, **arguments: Any) -> Any:
        """Call one operation; a failed OperationalResult becomes a classified error too."""
        service = self.service()
        try:
            result = getattr(service, operation)(**arguments)
        except Exception as exc:  # noqa: BLE001 - classified, with the vendor's message kept
            raise classify(exc, operation) from exc
        if result is None:
            raise ConnectorError(ErrorKind.TRANSIENT, f"Simphony {operation} returned an empty reply")
        outcome = getattr(result, "OperationalResult", None)
        if outcome is not None and not outcome.Success:
            raise failed_operation(outcome, operation)
        return result

    def config_page(self, caller: dict[str, Any], rvc: int, type_id: str, start: int, count: int) -> Any:
        """One page of GetConfigurationInfoEx in a revenue center; caller names VendorCode and employee."""
        request = {
            **caller,
            "RVCObjectNumber": rvc,
            "ConfigurationInfo": {"SimphonyPosApi_ConfigInfo": [
                {"ConfigurationInfoTypeID": type_id, "StartIndex": start, "MaxRecordCount": count},
            ]},
        }
        return self.call("GetConfigurationInfoEx", configInfoRequest=request)

    def config_records(self, caller: dict[str, Any], rvc: int, type_id: str, reply_field: str,
                       record_tag: str, key: str, size: int) -> list[etree._Element]:
        """Every record of one configuration type, page by page (StartIndex counts from 1)."""
        records: list[etree._Element] = []
        seen: set[str | None] = set()
        start = 1
        while True:
            reply = self.config_page(caller, rvc, type_id, start, size)
            page = embedded_records(getattr(reply, reply_field, None), record_tag, reply_field)
            fresh = [r for r in page if text(r, key) not in seen]
            records.extend(fresh)
            seen.update(text(r, key) for r in fresh)
            # A server that ignores paging repeats itself: stop when nothing new arrives.
            if len(page) < size or not fresh:
                return records
            start += size
