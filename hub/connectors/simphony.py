"""Oracle MICROS Simphony through Transaction Services Gen1 (SOAP): menu import, purchases, status.

Transaction Services reads configuration and checks but cannot write menu items or
discounts, so Simphony is always the master of product data: the hub imports its menu.
Configuration records arrive as XML documents embedded in string fields of the SOAP
reply (``ArrayOfDbMenuItemDefinition``, ``ArrayOfDbMenuItemPrice``), and a check's
detail likewise (``<Check><Summary/><DetailLines/></Check>``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
import zeep
import zeep.exceptions
from lxml import etree

from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    ErrorTable,
    LocationStatus,
    MenuItemData,
    PurchaseLineRecord,
    PurchasePage,
    PurchaseRecord,
    Unsupported,
    map_http_error,
    transport_error,
)
from hub.outbound.soap import GuardedTransport, safe_settings

NAMESPACE = "http://micros-hosting.com/EGateway/"
SOAP11_BINDING = f"{{{NAMESPACE}}}SimphonyPosAPIWebSoap"
# WSDLs shipped in the repository, by the name a connection's wsdl_location gives.
SHIPPED_WSDLS = {"sts-gen1": Path(__file__).resolve().parent / "wsdl" / "sts-gen1.wsdl"}
# One text for every wsdl_location that is neither: it never says whether a file exists.
WSDL_SOURCE_RULE = ("settings/wsdl_location must be an http:// or https:// URL of the WSDL, or the name of a "
                    f"WSDL shipped with the hub ({', '.join(SHIPPED_WSDLS)}); the hub reads no other files")
ENDPOINT_RULE = ("settings/endpoint_url is missing: the hub calls Simphony only at the configured service "
                 "address, never at the address written in the WSDL")
# A WSDL that declares a DTD or entities, or imports other documents, is refused (see hub.outbound.soap).
_FORBIDDEN_XML = (zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden,
                  zeep.exceptions.ExternalReferenceForbidden)

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
# A SOAP fault is permanent unless its code or message says the service was busy.
TRANSIENT_FAULT_WORDS = ("busy", "timeout", "timed out", "time out", "temporarily", "unavailable",
                         "try again", "too many")

PUSH_UNSUPPORTED = (
    "Simphony Transaction Services cannot write menu configuration; make Simphony the master "
    "of product data and import its menu instead"
)
COUPONS_UNSUPPORTED = (
    "Simphony Transaction Services cannot create discounts; define the discount in Simphony "
    "configuration (EMC) and the hub will see it on the checks that use it"
)
# GetCheckDetail answers these for a check that no longer exists (deleted or merged).
GONE_CHECK_CODES = frozenset({"CheckNotFound", "InvalidCheckNumber"})
_DECLARATION = re.compile(r"^<\?xml[^>]*\?>")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class _Transport(GuardedTransport):
    """The guarded zeep transport, turning the statuses of the error table into classified errors.

    Statuses listed in the table (429 with its Retry-After, 401, 403, 404) never reach
    zeep, nor do error pages of proxies; a 500 carrying a SOAP fault does, because .NET
    services send their faults with it.
    """

    def post(self, address: str, message: Any, headers: Any) -> requests.Response:
        response = super().post(address, message, headers)
        status = response.status_code
        is_fault = b"Fault>" in response.content
        if status in ERRORS or (status >= 400 and not is_fault):
            raise map_http_error(response, ERRORS)
        return response


def classify(exc: Exception, doing: str) -> ConnectorError:
    """A SOAP fault, transport failure or unreadable reply as a ConnectorError."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, zeep.exceptions.Fault):
        text = f"{exc.code or ''} {exc.message or ''}".lower()
        kind = ErrorKind.TRANSIENT if any(w in text for w in TRANSIENT_FAULT_WORDS) else ErrorKind.PERMANENT
        return ConnectorError(kind, f"Simphony {doing} failed with SOAP fault: {exc.message}",
                              vendor_code=exc.code or None)
    if isinstance(exc, zeep.exceptions.TransportError):
        status = exc.status_code or 0
        # A 200 whose body is not XML comes from a proxy or a restarting service: try again.
        kind = ERRORS.get(status) or (ErrorKind.TRANSIENT if status >= 500 or status == 200
                                      else ErrorKind.PERMANENT)
        return ConnectorError(kind, f"Simphony {doing}: HTTP {status}: {exc.message[:300]}", status=status)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        err = map_http_error(exc.response, ERRORS)
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


def _decimal(value: Any, what: str) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Simphony sent {what} {value!r}, not a number") from exc


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first descendant along path, matching local names case-insensitively."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag).lower() == name.lower()), None)
    return element


def _text(element: etree._Element | None, *path: str) -> str | None:
    found = _child(element, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _parse_embedded(document: str, what: str) -> etree._Element:
    """Parse an XML document that Simphony embeds as text in a SOAP string field."""
    # .NET writes these with an encoding="utf-16" declaration that no longer holds once
    # the text has travelled inside a UTF-8 envelope, so the declaration is dropped.
    text = _DECLARATION.sub("", document.strip(), count=1)
    try:
        return etree.fromstring(text.encode("utf-8"), parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Simphony sent unreadable {what}: {exc}") from exc


def _embedded_records(document: str | None, record_tag: str, what: str) -> list[etree._Element]:
    """The records of an embedded configuration document (ArrayOfDb...)."""
    if not document or not document.strip():
        return []
    return [c for c in _parse_embedded(document, what) if _local(c.tag) == record_tag]


def _sequence(record: etree._Element) -> int:
    try:
        return int(_text(record, "SequenceNum") or 0)
    except ValueError:
        return 0


class SimphonyConnector(Connector):
    """Simphony property over Transaction Services Gen1: import its menu, read its checks."""

    type = "simphony"
    title = "Oracle MICROS Simphony"
    description = (
        "Reads a Simphony property through Transaction Services (SOAP): imports its menu items "
        "and prices and polls its closed checks as purchases. Simphony stays the master of "
        "product data: menu and coupon pushes are not possible."
    )
    settings_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["wsdl_location", "endpoint_url", "employee_object_number", "revenue_centers",
                     "currency"],
        "properties": {
            "wsdl_location": {
                "type": "string", "pattern": "^(https?://\\S+|sts-gen1)$", "title": "WSDL location",
                "description": "Where the Transaction Services WSDL is read from: a URL such as "
                               "https://host:8080/EGateway/SimphonyPosApiWeb.asmx?WSDL, or 'sts-gen1' "
                               "for the WSDL shipped with the hub (the operations the hub uses).",
            },
            "endpoint_url": {
                "type": "string", "format": "uri", "pattern": "^https?://", "title": "Service endpoint URL",
                "description": "The service address the hub calls, e.g. "
                               "https://host:8080/EGateway/SimphonyPosApiWeb.asmx. The address written "
                               "in the WSDL is never used.",
            },
            "employee_object_number": {
                "type": "integer", "minimum": 1, "title": "Employee object number",
                "description": "The Simphony employee the interface works as (an API employee "
                               "configured in EMC with access to the revenue centers below).",
            },
            "revenue_centers": {
                "type": "array", "minItems": 1, "uniqueItems": True,
                "items": {"type": "integer", "minimum": 1},
                "title": "Revenue center object numbers",
                "description": "The revenue centers to read; each one is a location of this "
                               "connection. The menu is imported from these revenue centers.",
            },
            "order_type_id": {
                "type": "integer", "minimum": 0, "default": 0, "title": "Order type filter",
                "description": "Order type ID passed to GetChecks; 0 reads checks of every order "
                               "type unless your Simphony integrator says otherwise.",
            },
            "currency": {
                "type": "string", "pattern": "^[A-Z]{3}$", "title": "Currency",
                "description": "ISO 4217 code of the property's prices, e.g. EUR. Transaction "
                               "Services reports amounts without a currency.",
            },
            "timezone": {
                "type": "string", "default": "UTC", "title": "Property time zone",
                "description": "IANA time zone of the property, e.g. Europe/Berlin: Simphony "
                               "reports check times in local time without an offset.",
            },
            "initial_lookback_hours": {
                "type": "integer", "minimum": 1, "maximum": 720, "default": 24,
                "title": "First poll looks back (hours)",
                "description": "How far back the very first purchase poll reads checks.",
            },
            "max_checks_per_poll": {
                "type": "integer", "minimum": 1, "maximum": 1000, "default": 100,
                "title": "Checks per poll",
                "description": "How many check details one poll reads; the rest follow at once "
                               "in the next page.",
            },
            "open_check_max_age_hours": {
                "type": "integer", "minimum": 1, "maximum": 720, "default": 48,
                "title": "Follow open checks for (hours)",
                "description": "Checks still open are revisited on each poll until they are "
                               "paid, for at most this long.",
            },
            "config_page_size": {
                "type": "integer", "minimum": 1, "maximum": 15000, "default": 5000,
                "title": "Configuration records per call",
                "description": "Records per GetConfigurationInfoEx call when importing the menu "
                               "(Oracle recommends at most 15000).",
            },
        },
    }
    credentials_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "vendor_code": {
                "type": "string", "title": "Vendor code",
                "description": "The vendor code Oracle or the property issued for this interface, "
                               "sent with every call. Leave empty if the property uses none.",
            },
        },
    }
    outbound_url_settings = ("wsdl_location", "endpoint_url")
    capabilities = frozenset(
        {Capability.TEST, Capability.STATUS, Capability.PURCHASES, Capability.IMPORT_MENU}
    )
    default_poll_interval_seconds = 120

    def __init__(self, config: Mapping[str, Any], credentials: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(config, credentials, **kwargs)
        self._service: Any = None

    # -- SOAP plumbing ---------------------------------------------------------------

    @property
    def _vendor_code(self) -> str:
        return str(self.credentials.get("vendor_code") or "")

    @property
    def _employee(self) -> int:
        return int(self.config["employee_object_number"])

    @property
    def _revenue_centers(self) -> list[int]:
        return [int(rvc) for rvc in self.config["revenue_centers"]]

    @classmethod
    def outbound_problems(cls, config: Mapping[str, Any], allowed_hosts: Iterable[str]) -> list[str]:
        """The URL settings under the policy; a shipped WSDL's name is not a URL to check."""
        urls = {k: v for k, v in config.items() if not (k == "wsdl_location" and v in SHIPPED_WSDLS)}
        return super().outbound_problems(urls, allowed_hosts)

    def _wsdl_source(self) -> str:
        """The WSDL's URL, or the path of a shipped WSDL; any other value is refused with one text."""
        location = str(self.config.get("wsdl_location") or "")
        if location in SHIPPED_WSDLS:
            return str(SHIPPED_WSDLS[location])
        if re.match(r"(?i)https?://", location):
            return location
        raise ConnectorError(ErrorKind.PERMANENT, WSDL_SOURCE_RULE)

    def _soap(self) -> Any:
        """The zeep service proxy at the configured endpoint, built on first use (constructing is free)."""
        if self._service is None:
            wsdl, endpoint = self._wsdl_source(), self.config.get("endpoint_url")
            if not endpoint:
                raise ConnectorError(ErrorKind.PERMANENT, ENDPOINT_RULE)
            # The connector's session carries every request, so tests mock it with `responses`.
            transport = _Transport(self.http, self.timeout, local_files=SHIPPED_WSDLS.values())
            try:
                client = zeep.Client(wsdl, transport=transport, settings=safe_settings())
                self._service = client.create_service(SOAP11_BINDING, endpoint)
            except Exception as exc:  # noqa: BLE001 - every failure is classified, none is lost
                raise classify(exc, "loading the WSDL") from exc
        return self._service

    def _call(self, operation: str, **arguments: Any) -> Any:
        """Call one operation; a failed OperationalResult becomes a classified error too."""
        service = self._soap()
        try:
            result = getattr(service, operation)(**arguments)
        except Exception as exc:  # noqa: BLE001 - classified, with the vendor's message kept
            raise classify(exc, operation) from exc
        if result is None:
            raise ConnectorError(ErrorKind.TRANSIENT, f"Simphony {operation} returned an empty reply")
        outcome = getattr(result, "OperationalResult", None)
        if outcome is not None and not outcome.Success:
            code = str(outcome.ErrorCode or "UnknownExceptionCode")
            kind = ERRORS.get(code, ErrorKind.PERMANENT)
            message = outcome.ErrorMessage or code
            raise ConnectorError(kind, f"Simphony {operation} failed: {message}", vendor_code=code)
        return result

    def _config_page(self, rvc: int, type_id: str, start: int, count: int) -> Any:
        request = {
            "VendorCode": self._vendor_code,
            "EmployeeObjectNumber": self._employee,
            "RVCObjectNumber": rvc,
            "ConfigurationInfo": {"SimphonyPosApi_ConfigInfo": [
                {"ConfigurationInfoTypeID": type_id, "StartIndex": start, "MaxRecordCount": count},
            ]},
        }
        return self._call("GetConfigurationInfoEx", configInfoRequest=request)

    def _config_records(self, rvc: int, type_id: str, field: str, record_tag: str,
                        key: str) -> list[etree._Element]:
        """Every record of one configuration type, page by page (StartIndex counts from 1)."""
        size = int(self.config.get("config_page_size", 5000))
        records: list[etree._Element] = []
        seen: set[str | None] = set()
        start = 1
        while True:
            reply = self._config_page(rvc, type_id, start, size)
            page = _embedded_records(getattr(reply, field, None), record_tag, field)
            fresh = [r for r in page if _text(r, key) not in seen]
            records.extend(fresh)
            seen.update(_text(r, key) for r in fresh)
            # A server that ignores paging repeats itself: stop when nothing new arrives.
            if len(page) < size or not fresh:
                return records
            start += size

    # -- Connector interface -------------------------------------------------------------

    def test_connection(self) -> None:
        """Ask each revenue center for the Simphony version: proves the address, employee and RVCs."""
        for rvc in self._revenue_centers:
            self._config_page(rvc, "VERSION", 1, 1)

    def fetch_status(self) -> list[LocationStatus]:
        """A revenue center is online when it answers a configuration call."""
        statuses: list[LocationStatus] = []
        last_failure: ConnectorError | None = None
        for rvc in self._revenue_centers:
            try:
                self._config_page(rvc, "VERSION", 1, 1)
                online = True
            except ConnectorError as exc:
                if exc.kind is ErrorKind.PERMANENT:
                    raise
                last_failure, online = exc, False
            statuses.append(LocationStatus(str(rvc), f"Revenue center {rvc}", online))
        if last_failure is not None and not any(s.online for s in statuses):
            # Nothing answered: no contact with the property at all, which the engine must see.
            raise last_failure
        return statuses

    def import_menu(self) -> list[MenuItemData]:
        """Menu item definitions and their prices, one item per menu item master number."""
        currency = self.config["currency"]
        items: dict[str, MenuItemData] = {}
        offered_in: dict[str, list[str]] = {}
        for rvc in self._revenue_centers:
            for item in self._menu_of(rvc, currency):
                items.setdefault(item.sku, item)
                offered_in.setdefault(item.sku, []).append(str(rvc))
        everywhere = len(self._revenue_centers)
        for sku, item in items.items():
            item.location_external_ids = None if len(offered_in[sku]) == everywhere else offered_in[sku]
        return list(items.values())

    def _menu_of(self, rvc: int, currency: str) -> list[MenuItemData]:
        definitions = self._config_records(rvc, "MENUITEMDEFINITIONS", "MenuItemDefinitions",
                                           "DbMenuItemDefinition", "MenuItemDefID")
        prices = self._config_records(rvc, "MENUITEMPRICE", "MenuItemPrice", "DbMenuItemPrice",
                                      "MenuItemPriceID")
        price_of: dict[str, etree._Element] = {}
        for price in sorted(prices, key=_sequence):
            if _text(price, "Price"):
                price_of.setdefault(_text(price, "MenuItemDefID") or "", price)
        # A master can have several definitions (menu levels); the lowest sequence is the main one.
        chosen: dict[str, etree._Element] = {}
        for definition in sorted(definitions, key=_sequence):
            master = _text(definition, "MiMasterObjNum")
            if master and _text(definition, "MenuItemDefID") in price_of:
                chosen.setdefault(master, definition)
        items = []
        for master, definition in chosen.items():
            price = price_of[_text(definition, "MenuItemDefID") or ""]
            name = _text(definition, "Name1", "StringText") or f"Menu item {master}"
            items.append(MenuItemData(
                sku=master,
                name=name,
                price=str(_decimal(_text(price, "Price"), "a menu item price")),
                currency=currency,
                available=(_text(definition, "OutOfMenuItem") or "false").lower() != "true",
            ))
        return items

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Not possible: Transaction Services cannot write configuration."""
        raise Unsupported(PUSH_UNSUPPORTED)

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Not possible: Transaction Services cannot create discounts."""
        raise Unsupported(COUPONS_UNSUPPORTED)

    # -- Purchases ---------------------------------------------------------------------------

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """Paid checks since the cursor; checks still open are revisited until they are paid.

        The cursor is JSON: ``since`` (the property-local open time to read checks from) and
        ``open`` (checks seen unpaid: revenue center, number, sequence, open time).
        """
        state = self._read_cursor(cursor)
        since = datetime.fromisoformat(state["since"])
        max_age = timedelta(hours=int(self.config.get("open_check_max_age_hours", 48)))
        purchases: list[PurchaseRecord] = []
        still_open: list[dict[str, Any]] = []

        for pending in state["open"]:
            if datetime.fromisoformat(pending["opened"]) < self._now_local() - max_age:
                continue  # followed long enough: an abandoned tab, not a sale in progress
            try:
                closed, record = self._read_check(pending["rvc"], pending["num"], pending["seq"])
            except ConnectorError as exc:
                if exc.vendor_code in GONE_CHECK_CODES:
                    continue
                raise
            if not closed:
                still_open.append(pending)
            elif record is not None:
                purchases.append(record)

        known = {p["seq"] for p in state["open"]}
        summaries = sorted(
            (s for rvc in self._revenue_centers for s in self._checks_since(rvc, since)
             if s.CheckSeq not in known and not s.CheckInTraining),
            key=lambda s: (self._local_time(s.CheckOpenTime), s.CheckSeq),
        )
        budget = int(self.config.get("max_checks_per_poll", 100))
        next_since = since
        has_more = False
        for summary in summaries:
            if budget <= 0:
                has_more = next_since > since
                break
            budget -= 1
            opened = self._local_time(summary.CheckOpenTime)
            next_since = max(next_since, opened)
            rvc, number, sequence = summary.CheckRevenueCenterObjectNum, summary.CheckNum, summary.CheckSeq
            closed, record = False, None
            # A check with an amount due is still open: no need to read its detail yet.
            if not _decimal(summary.CheckTotalDue, "a check's total due"):
                closed, record = self._read_check(rvc, number, sequence)
            if not closed:
                still_open.append({"rvc": rvc, "num": number, "seq": sequence, "opened": opened.isoformat()})
            elif record is not None:
                purchases.append(record)

        next_cursor = json.dumps({"since": next_since.isoformat(), "open": still_open}, sort_keys=True)
        return PurchasePage(purchases, next_cursor, has_more=has_more)

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.config.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            zone = self.config.get("timezone")
            raise ConnectorError(ErrorKind.PERMANENT, f"unknown time zone {zone!r} in the settings") from exc

    def _now_local(self) -> datetime:
        return datetime.now(self._zone()).replace(tzinfo=None)

    def _local_time(self, moment: datetime) -> datetime:
        """Property-local naive time, the form Simphony's own lookups take."""
        return moment.astimezone(self._zone()).replace(tzinfo=None) if moment.tzinfo else moment

    def _aware(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=self._zone()) if moment.tzinfo is None else moment

    def _read_cursor(self, cursor: str | None) -> dict[str, Any]:
        if not cursor:
            hours = int(self.config.get("initial_lookback_hours", 24))
            return {"since": (self._now_local() - timedelta(hours=hours)).isoformat(), "open": []}
        try:
            state = json.loads(cursor)
            return {
                "since": datetime.fromisoformat(state["since"]).isoformat(),
                "open": [{"rvc": int(o["rvc"]), "num": int(o["num"]), "seq": int(o["seq"]),
                          "opened": datetime.fromisoformat(o["opened"]).isoformat()}
                         for o in state.get("open", [])],
            }
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"unreadable Simphony purchase cursor {cursor!r}") from exc

    def _checks_since(self, rvc: int, since: datetime) -> list[Any]:
        check_filter = {
            "VendorCode": self._vendor_code,
            "EmployeeObjectNum": self._employee,
            "RvcObjectNum": rvc,
            "OrderTypeID": int(self.config.get("order_type_id", 0)),
            "LookUpStartDate": since,
            "IncludeClosedCheck": True,
        }
        reply = self._call("GetChecks", ppCheckFilter=check_filter)
        checks = getattr(reply, "Checks", None)
        return list(getattr(checks, "SimphonyPosApi_CheckSummaryEx", None) or []) if checks else []

    def _read_check(self, rvc: int, number: int, sequence: int) -> tuple[bool, PurchaseRecord | None]:
        """Whether the check is paid, and the purchase it records (None when nothing was sold)."""
        reply = self._call("GetCheckDetail", ppCheckDetailFilter={
            "VendorCode": self._vendor_code, "CheckNumber": number, "CheckSeqNumber": sequence,
        })
        check = _parse_embedded(reply.CheckDetail or "", f"the detail of check {number}")
        summary = _child(check, "Summary")
        if _decimal(_text(summary, "Due"), "a check's amount due"):
            return False, None
        lines, coupons = self._lines_and_discounts(_child(check, "DetailLines"))
        if not lines:
            return True, None  # everything voided: nothing was sold
        total = _text(summary, "Total")
        if total is None:
            subtotal = _decimal(_text(summary, "SubTotal"), "a subtotal")
            total = str(subtotal + _decimal(_text(summary, "Tax"), "tax"))
        opened = _text(summary, "CheckOpenTime")
        if not opened:
            raise ConnectorError(ErrorKind.PERMANENT, f"Simphony check {number} has no open time")
        return True, PurchaseRecord(
            # The check sequence number is unique in the property; check numbers are reused.
            external_id=str(sequence),
            location_external_id=str(rvc),
            occurred_at=self._aware(datetime.fromisoformat(opened)),
            lines=lines,
            total=str(_decimal(total, "a check total")),
            currency=self.config["currency"],
            payment_state="paid_at_pos",
            coupon_codes=coupons,
        )

    @staticmethod
    def _lines_and_discounts(
        detail_lines: etree._Element | None,
    ) -> tuple[list[PurchaseLineRecord], list[str]]:
        lines: list[PurchaseLineRecord] = []
        discounts: list[str] = []
        for line in _iter(detail_lines, "DetailLine"):
            if (_text(line, "VoidLink") or "0") != "0":
                continue  # voided entries and their voids cancel out
            detail_type = (_text(line, "DetailType") or "").lower()
            total = _decimal(_text(line, "Total"), "a line total")
            if detail_type == "dtlmitype":
                count = _decimal(_text(line, "SalesCount"), "a sales count")
                is_condiment = (_text(line, "ParentDetailLink") or "0") != "0"
                if count <= 0 or (is_condiment and not total):
                    continue
                unit = (total / count).quantize(Decimal(1).scaleb(min(total.as_tuple().exponent, -2)))
                lines.append(PurchaseLineRecord(
                    sku=_text(line, "MenuItem", "obj") or "",
                    quantity=int(count),
                    unit_price=str(unit),
                    line_total=str(total),
                    name=_text(line, "MenuItem", "Name"),
                ))
            elif detail_type == "dtldsctype":
                name = _text(line, "Discount", "Name") or _text(line, "Discount", "obj")
                if name and name not in discounts:
                    discounts.append(name)
        return lines, discounts


def _iter(parent: etree._Element | None, tag: str) -> Iterable[etree._Element]:
    if parent is None:
        return []
    return [c for c in parent if _local(c.tag) == tag]
