"""The Byte fridge connector: the hub's connector interface over the account's REST endpoints."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    InventoryCount,
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
from hub.connectors.byte_fridge.client import ByteClient
from hub.connectors.byte_fridge.errors import settings_error
from hub.connectors.byte_fridge.fields import defaults, get_path, set_path, wrap
from hub.connectors.byte_fridge.mapping import Reader, parse_time
from hub.connectors.byte_fridge.orders import NO_RESERVATIONS, ByteReservations


class ByteFridgeConnector(Connector):
    """A Byte Technology fridge fleet behind the account's own REST endpoints."""

    type = "byte_fridge"
    title = "Byte Technology smart fridges"
    description = (
        "Polls a fleet of Byte smart fridges over REST for status, stock and purchases, and pushes "
        "menu changes (and coupons, when a coupons path is set). Orders become reservations when the "
        "account has a reservation endpoint. Paths and field names follow the account's Byte integration "
        "and are set per connection."
    )
    schema_file = "connectors/byte_fridge.json"
    outbound_url_settings = ("base_url", "reservation_url")
    capabilities = frozenset({
        Capability.TEST, Capability.STATUS, Capability.INVENTORY, Capability.PURCHASES,
        Capability.PUSH_MENU, Capability.PUSH_COUPONS, Capability.ORDERS,
    })
    default_poll_interval_seconds = 60

    def __init__(self, config: Mapping[str, Any], credentials: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(config, credentials, **kwargs)
        schema = self.settings_schema
        self.paths = defaults(schema, "paths") | dict(self.config.get("paths", {}))
        self.fields = defaults(schema, "fields") | dict(self.config.get("fields", {}))
        self.read = Reader(self.fields)

    @functools.cached_property
    def api(self) -> ByteClient:
        """The account's API with this connection's key."""
        scheme = self.setting("auth_scheme")
        key = str(self.credentials.get("api_key", ""))
        header = self.config.get("auth_header") or self.default("auth_header")
        headers = {header: f"{scheme} {key}" if scheme else key, "Accept": "application/json"}
        return ByteClient(self.http, self.timeout, str(self.config["base_url"]), headers, self.fields,
                          self.setting("page_param"))

    # -- reading ---------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """The fridges list answers with these credentials."""
        self.fetch_status()

    def fetch_status(self) -> list[LocationStatus]:
        """Each fridge, online when its status says so."""
        online_values = {v.lower() for v in self.setting("online_values")}
        return [self.read.status(fridge, online_values)
                for fridge in self.api.list(self.paths["fridges"], self.fields["fridges_list"])]

    def fetch_inventory(self) -> list[InventoryCount]:
        """Stock per fridge and sku, in one call or fridge by fridge when the path names {fridge_id}."""
        path = self.paths["inventory"]
        if "{fridge_id}" not in path:
            return [self.read.count(row, None) for row in self.api.list(path, self.fields["inventory_list"])]
        counts = []
        for fridge in self.fetch_status():
            fridge_path = path.replace("{fridge_id}", quote(fridge.external_id, safe=""))
            counts += [self.read.count(row, fridge.external_id)
                       for row in self.api.list(fridge_path, self.fields["inventory_list"])]
        return counts

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """One page of transactions after the cursor; next_cursor of the reply is saved."""
        params = {self.setting("cursor_param"): cursor} if cursor else None
        body = self.api.request("GET", self.paths["transactions"], params=params)
        list_field = self.fields["transactions_list"]
        rows = get_path(body, list_field) if list_field else body
        if not isinstance(rows, list):
            where = list_field or "the top level"
            raise settings_error(f"Byte's transactions reply has no list at {where}; check the field names")
        purchases, unreadable = [], []
        for row in rows:
            try:
                purchases.append(self._purchase(row))
            except ConnectorError as exc:
                # Set aside with the reason (replayable once the data or the field names are fixed).
                found_id = self.read.get(row, "transaction_id")
                external_id = None if found_id is None else str(found_id)
                unreadable.append(UnreadableRecord("purchase", external_id, row, exc.message))
        token = get_path(body, self.fields["next_cursor"]) if isinstance(body, Mapping) else None
        more = get_path(body, self.fields["has_more"]) if isinstance(body, Mapping) else None
        if token in (None, ""):
            # No cursor from the vendor: continue after the newest transaction seen, readable or not.
            latest = max([p.occurred_at for p in purchases] + self._times(rows), default=None)
            return PurchasePage(purchases, latest.isoformat() if latest else cursor, has_more=False,
                                unreadable=unreadable)
        next_cursor = str(token)
        # A cursor handed back unchanged would ask for this same page for ever, whatever has_more says.
        has_more = next_cursor != cursor and (bool(more) if more is not None else bool(rows))
        return PurchasePage(purchases, next_cursor, has_more=has_more, unreadable=unreadable)

    def read_purchase(self, raw: Any) -> PurchaseRecord:
        """A set-aside transaction read again (Byte reports only completed sales: always final)."""
        try:
            return self._purchase(raw)
        except ConnectorError as exc:
            raise ValueError(exc.message) from exc

    def _purchase(self, row: Any) -> PurchaseRecord:
        return self.read.purchase(row, self.config.get("default_currency"), self.setting("payment_states"))

    def _times(self, rows: list[Any]) -> list[datetime]:
        """The times of the rows that state a readable one."""
        times = []
        for row in rows:
            try:
                times.append(parse_time(self.read.required(row, "transaction_time", "transaction")))
            except ConnectorError:
                continue
        return times

    # -- pushes ----------------------------------------------------------------------------------

    def _payload(self, prefix: str, values: dict[str, Any]) -> dict[str, Any]:
        """An outgoing record under the configured field names; absent values are left out."""
        record: dict[str, Any] = {}
        for key, value in values.items():
            if value is not None:
                set_path(record, self.fields[f"{prefix}_{key}"], value)
        return record

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Send the changed items to the menu path, keyed for safe retries."""
        records = [self._payload("menu", {
            "sku": i.sku, "name": i.name, "description": i.description, "category": i.category,
            "price": i.price, "currency": i.currency, "available": i.available, "image_url": i.image_url,
            "modifiers": i.modifiers or None, "fridge_ids": i.location_external_ids,
            "removed": True if i.removed else None,
        }) for i in items]
        self.api.push(self.setting("menu_method"), self.paths["menu"],
                      wrap(self.fields["menu_items"], records), idempotency_key)

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Send the coupons to the coupons path; unsupported when the account has none."""
        if not self.paths.get("coupons"):
            raise Unsupported("This Byte account takes no coupons: no coupons path is set in the "
                              "connection settings (paths.coupons)")
        records = [self._payload("coupon", {
            "code": c.code, "name": c.name, "discount_type": c.discount_type, "percent_off": c.percent_off,
            "amount_off": c.amount_off, "currency": c.currency,
            "valid_from": c.valid_from.isoformat() if c.valid_from else None,
            "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            "skus": c.skus, "fridge_ids": c.location_external_ids, "active": c.active,
        }) for c in coupons]
        self.api.push(self.setting("coupons_method"), self.paths["coupons"],
                      wrap(self.fields["coupons_list"], records), idempotency_key)

    # -- orders (reservations) -------------------------------------------------------------------

    @property
    def _reservations(self) -> ByteReservations:
        """The reservation endpoint; unsupported, with the reason, when the connection has none."""
        url = self.config.get("reservation_url")
        if not url:
            raise Unsupported(NO_RESERVATIONS)
        return ByteReservations(self.http, self.timeout, str(url), self.api.headers,
                                self.fields["error_message"], int(self.setting("reservation_hold_minutes")))

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """Reserve the order's items at its fridge (see hub.connectors.byte_fridge.orders)."""
        return self._reservations.create(order, idempotency_key)

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """Change the reserved items."""
        return self._reservations.update(order, ref, idempotency_key)

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """Release the reservation."""
        return self._reservations.cancel(ref, idempotency_key)

    def fetch_order_statuses(self, orders: list[OrderRef]) -> list[OrderStatusReport]:
        """Each reservation's state (nothing to follow without a reservation endpoint)."""
        if not self.config.get("reservation_url"):
            return []
        return self._reservations.statuses(orders)
