"""The Simphony connector: menu import, purchases and status over Transaction Services (see the package)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    LocationStatus,
    MenuItemData,
    OrderData,
    OrderPlacement,
    OrderRef,
    OrderStatusReport,
    PurchasePage,
    PurchaseRecord,
    UnreadableRecord,
    Unsupported,
)
from hub.connectors.common.skipped import ImportedMenu, SkippedItem
from hub.connectors.simphony import mapping
from hub.connectors.simphony.client import SHIPPED_WSDLS, SimphonyClient
from hub.connectors.simphony.embedded import parse_embedded
from hub.connectors.simphony.errors import GONE_CHECK_CODES
from hub.connectors.simphony.orders import UPDATE_UNSUPPORTED, SimphonyOrders

PUSH_UNSUPPORTED = (
    "Simphony Transaction Services cannot write menu configuration; make Simphony the master "
    "of product data and import its menu instead"
)
COUPONS_UNSUPPORTED = (
    "Simphony Transaction Services cannot create discounts; define the discount in Simphony "
    "configuration (EMC) and the hub will see it on the checks that use it"
)


class SimphonyConnector(Connector):
    """Simphony property over Transaction Services Gen1: import its menu, read its checks."""

    type = "simphony"
    title = "Oracle MICROS Simphony"
    description = (
        "Reads a Simphony property through Transaction Services (SOAP): imports its menu items "
        "and prices, polls its closed checks as purchases and posts orders as checks. Simphony stays the "
        "master of product data: menu and coupon pushes are not possible."
    )
    schema_file = "connectors/simphony.json"
    outbound_url_settings = ("wsdl_location", "endpoint_url")
    capabilities = frozenset(
        {Capability.TEST, Capability.STATUS, Capability.PURCHASES, Capability.IMPORT_MENU, Capability.ORDERS}
    )
    default_poll_interval_seconds = 120

    @classmethod
    def outbound_problems(cls, config: Mapping[str, Any], allowed_hosts: Iterable[str]) -> list[str]:
        """The URL settings under the policy; a shipped WSDL's name is not a URL to check."""
        urls = {k: v for k, v in config.items() if not (k == "wsdl_location" and v in SHIPPED_WSDLS)}
        return super().outbound_problems(urls, allowed_hosts)

    @functools.cached_property
    def api(self) -> SimphonyClient:
        """Transaction Services at this connection's endpoint."""
        return SimphonyClient(self.http, self.timeout, str(self.config.get("wsdl_location") or ""),
                              self.config.get("endpoint_url"))

    @property
    def _vendor_code(self) -> str:
        return str(self.credentials.get("vendor_code") or "")

    @property
    def _caller(self) -> dict[str, Any]:
        """Who calls a configuration operation: the interface's vendor code and API employee."""
        return {"VendorCode": self._vendor_code,
                "EmployeeObjectNumber": int(self.config["employee_object_number"])}

    @property
    def _revenue_centers(self) -> list[int]:
        return [int(rvc) for rvc in self.config["revenue_centers"]]

    def _version(self, rvc: int) -> None:
        # The cheapest configuration call: it proves the address, the employee and the revenue center.
        self.api.config_page(self._caller, rvc, "VERSION", 1, 1)

    # -- status and menu ---------------------------------------------------------------------

    def test_connection(self) -> None:
        """Ask each revenue center for the Simphony version: proves the address, employee and RVCs."""
        for rvc in self._revenue_centers:
            self._version(rvc)

    def fetch_status(self) -> list[LocationStatus]:
        """A revenue center is online when it answers a configuration call."""
        statuses: list[LocationStatus] = []
        last_failure: ConnectorError | None = None
        for rvc in self._revenue_centers:
            try:
                self._version(rvc)
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

    def import_menu(self) -> ImportedMenu:
        """Menu item definitions and prices, one item per master; ``skipped`` says what was left out."""
        currency = self.config["currency"]
        items: dict[str, MenuItemData] = {}
        offered_in: dict[str, list[str]] = {}
        skipped: list[SkippedItem] = []
        for rvc in self._revenue_centers:
            menu = self._menu_of(rvc, currency)
            skipped += menu.skipped
            for item in menu:
                items.setdefault(item.sku, item)
                offered_in.setdefault(item.sku, []).append(str(rvc))
        everywhere = len(self._revenue_centers)
        for sku, item in items.items():
            item.location_external_ids = None if len(offered_in[sku]) == everywhere else offered_in[sku]
        # An item unpriced in one revenue center but imported from another was not skipped.
        return ImportedMenu(items.values(), [s for s in skipped if s.external_id not in items])

    def _menu_of(self, rvc: int, currency: str) -> ImportedMenu:
        size = int(self.setting("config_page_size"))
        definitions = self.api.config_records(self._caller, rvc, "MENUITEMDEFINITIONS", "MenuItemDefinitions",
                                              "DbMenuItemDefinition", "MenuItemDefID", size)
        prices = self.api.config_records(self._caller, rvc, "MENUITEMPRICE", "MenuItemPrice",
                                         "DbMenuItemPrice", "MenuItemPriceID", size)
        return mapping.menu_items(definitions, prices, currency, rvc)

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Not possible: Transaction Services cannot write configuration."""
        raise Unsupported(PUSH_UNSUPPORTED)

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Not possible: Transaction Services cannot create discounts."""
        raise Unsupported(COUPONS_UNSUPPORTED)

    # -- orders ------------------------------------------------------------------------------

    @property
    def _orders(self) -> SimphonyOrders:
        return SimphonyOrders(self.api.call, self.setting, self.config, self._vendor_code, self._zone())

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """Post the order as a check to its revenue center (see hub.connectors.simphony.orders)."""
        return self._orders.create(order)

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """Not possible: Transaction Services cannot change the items of a posted check."""
        raise Unsupported(UPDATE_UNSUPPORTED)

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """Void the order's check."""
        return self._orders.cancel(ref)

    def fetch_order_statuses(self, orders: list[OrderRef]) -> list[OrderStatusReport]:
        """The state of each order's check (checks Simphony no longer knows are left out)."""
        return self._orders.statuses(orders)

    # -- purchases ---------------------------------------------------------------------------

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """Closed checks since the cursor; open checks are followed until they close (see mapping.is_closed).

        The cursor is JSON: ``since`` (the property-local open time to read checks from) and
        ``open`` (checks seen open: revenue center, number, sequence, open time). A check whose
        detail cannot be read is set aside in ``unreadable`` and the poll moves on.
        """
        state = self._read_cursor(cursor)
        since = datetime.fromisoformat(state["since"])
        max_age = timedelta(hours=int(self.setting("open_check_max_age_hours")))
        found = _Found()

        for pending in state["open"]:
            if datetime.fromisoformat(pending["opened"]) < self._now_local() - max_age:
                continue  # followed long enough: an abandoned tab, not a sale in progress
            try:
                self._visit(pending, found)
            except ConnectorError as exc:
                if exc.vendor_code in GONE_CHECK_CODES:
                    continue
                raise

        known = {p["seq"] for p in state["open"]}
        summaries = sorted(
            (s for rvc in self._revenue_centers for s in self._checks_since(rvc, since)
             if s.CheckSeq not in known and not s.CheckInTraining),
            key=lambda s: (self._local_time(s.CheckOpenTime), s.CheckSeq),
        )
        budget = int(self.setting("max_checks_per_poll"))
        next_since = since
        has_more = False
        for summary in summaries:
            if budget <= 0:
                has_more = next_since > since
                break
            budget -= 1
            opened = self._local_time(summary.CheckOpenTime)
            next_since = max(next_since, opened)
            check = {"rvc": summary.CheckRevenueCenterObjectNum, "num": summary.CheckNum,
                     "seq": summary.CheckSeq, "opened": opened.isoformat()}
            # A check with an amount due is still open: no need to read its detail yet.
            if _amount_due(summary):
                found.still_open.append(check)
            else:
                self._visit(check, found)

        next_cursor = json.dumps({"since": next_since.isoformat(), "open": found.still_open}, sort_keys=True)
        return PurchasePage(found.purchases, next_cursor, has_more=has_more, unreadable=found.unreadable)

    def read_purchase(self, raw: Any) -> PurchaseRecord | None:
        """A set-aside check read again from its raw record (rvc, num, seq, detail); None while it is open."""
        try:
            check = {"rvc": int(raw["rvc"]), "num": int(raw["num"]), "seq": int(raw["seq"]),
                     "detail": str(raw["detail"])}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a Simphony check record ({exc!r}): needs rvc, num, seq, detail") from exc
        zone = self._zone()
        try:
            closed, record = self._map(check, zone)
        except ConnectorError as exc:
            raise ValueError(exc.message) from exc
        return record if closed else None

    def _visit(self, check: dict[str, Any], found: _Found) -> None:
        """Read a check's detail: its purchase once closed, followed while open, set aside when unreadable."""
        zone = self._zone()  # a settings problem, not the check's: it must fail the poll
        raw = {"rvc": check["rvc"], "num": check["num"], "seq": check["seq"],
               "detail": self._check_detail(check["num"], check["seq"])}
        try:
            closed, record = self._map(raw, zone)
        except ConnectorError as exc:
            found.unreadable.append(UnreadableRecord("purchase", str(check["seq"]), raw, exc.message))
            return
        if not closed:
            found.still_open.append(check)
        elif record is not None:
            found.purchases.append(record)

    def _map(self, raw: dict[str, Any], zone: ZoneInfo) -> tuple[bool, PurchaseRecord | None]:
        check = parse_embedded(raw["detail"], f"the detail of check {raw['num']}")
        currency = self.config["currency"]
        return mapping.check_purchase(check, raw["rvc"], raw["num"], raw["seq"], currency, zone)

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.config.get("timezone") or self.default("timezone"))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            zone = self.config.get("timezone")
            raise ConnectorError(ErrorKind.PERMANENT, f"unknown time zone {zone!r} in the settings") from exc

    def _now_local(self) -> datetime:
        return datetime.now(self._zone()).replace(tzinfo=None)

    def _local_time(self, moment: datetime) -> datetime:
        """Property-local naive time, the form Simphony's own lookups take."""
        return moment.astimezone(self._zone()).replace(tzinfo=None) if moment.tzinfo else moment

    def _read_cursor(self, cursor: str | None) -> dict[str, Any]:
        if not cursor:
            hours = int(self.setting("initial_lookback_hours"))
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
            "EmployeeObjectNum": int(self.config["employee_object_number"]),
            "RvcObjectNum": rvc,
            "OrderTypeID": int(self.setting("order_type_id")),
            "LookUpStartDate": since,
            "IncludeClosedCheck": True,
        }
        reply = self.api.call("GetChecks", ppCheckFilter=check_filter)
        checks = getattr(reply, "Checks", None)
        return list(getattr(checks, "SimphonyPosApi_CheckSummaryEx", None) or []) if checks else []

    def _check_detail(self, number: int, sequence: int) -> str:
        """The embedded XML detail of one check."""
        reply = self.api.call("GetCheckDetail", ppCheckDetailFilter={
            "VendorCode": self._vendor_code, "CheckNumber": number, "CheckSeqNumber": sequence,
        })
        return reply.CheckDetail or ""


@dataclass
class _Found:
    """What one poll found: closed checks' purchases, checks still open, checks it could not read."""

    purchases: list[PurchaseRecord] = field(default_factory=list)
    still_open: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[UnreadableRecord] = field(default_factory=list)


def _amount_due(summary: Any) -> bool:
    """Whether a check summary shows an amount due; an unreadable one is left to the check's detail."""
    try:
        return bool(mapping.number(summary.CheckTotalDue, "a check's total due"))
    except ConnectorError:
        return False
