"""The Square connector: the hub's connector interface over Square's REST API (see the package notes)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.connectors.base import (
    CallbackHint,
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    InventoryCount,
    LocationStatus,
    MenuItemData,
    OrderData,
    OrderPlacement,
    OrderRef,
    OrderRefused,
    OrderStatusReport,
    PurchasePage,
    PurchaseRecord,
    UnreadableRecord,
)
from hub.connectors.common.cursor import UpdatedSince
from hub.connectors.common.locations import pick_locations
from hub.connectors.square import mapping, orders, webhooks
from hub.connectors.square.catalog import Catalog, variation_skus
from hub.connectors.square.client import BASE_URLS, SquareClient
from hub.connectors.square.coupons import coupon_objects, needs_time_zone
from hub.connectors.square.errors import MISSING_PERMISSION, order_error
from hub.connectors.square.push import MenuBatch, derived_key, upsert_body
from hub.connectors.square.verify import check_applied


def _reason(exc: Exception) -> str:
    """Why a record could not be read, for support staff."""
    if isinstance(exc, KeyError):
        return f"the order has no {exc.args[0]}"
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


# SearchOrders accepts at most this many location ids per query.
_MAX_ORDER_LOCATIONS = 10
_ITEMS_PER_UPSERT = 100
# BatchRetrieveOrders takes at most this many ids.
_ORDERS_PER_RETRIEVE = 100


class SquareConnector(Connector):
    """Square Point of Sale, through Square's REST API (Connect v2)."""

    type = "square"
    title = "Square"
    description = (
        "Square Point of Sale tills and kiosks. The hub polls Square for location status, stock "
        "and orders, pushes menu items and coupons into the Square item library, and accepts "
        "Square webhooks as a signal to poll early."
    )
    schema_file = "connectors/square.json"
    capabilities = frozenset(Capability)  # every one
    outbound_url_settings = ("base_url",)
    default_poll_interval_seconds = 60

    @property
    def base_url(self) -> str:
        """The Square API root for this connection's environment."""
        override = self.config.get("base_url")
        if override:
            return override.rstrip("/")
        return BASE_URLS[self.setting("environment")]

    @functools.cached_property
    def api(self) -> SquareClient:
        """Square's API with this connection's token."""
        return SquareClient(self.http, self.base_url, self.credentials.get("access_token", ""), self.timeout)

    # ---- status -----------------------------------------------------------------------------

    def _locations(self) -> list[dict[str, Any]]:
        return pick_locations(self.api.call("GET", "/v2/locations").get("locations") or [],
                              self.config.get("location_ids") or [],
                              "Square has no location with id {ids} in this account")

    def _location_ids(self) -> list[str]:
        return list(self.config.get("location_ids") or [loc["id"] for loc in self._locations()])

    def test_connection(self) -> None:
        """List the account's locations: proves the token and the location filter."""
        self._locations()

    def _devices_by_location(self) -> dict[str, list[str]]:
        try:
            devices = list(self.api.pages("GET", "/v2/devices", "devices"))
        except ConnectorError as exc:
            # Tokens without DEVICES_READ still get location status; nothing else is hidden.
            if exc.kind is ErrorKind.PERMANENT and exc.vendor_code in MISSING_PERMISSION:
                return {}
            raise
        return mapping.devices_by_location(devices)

    def fetch_status(self) -> list[LocationStatus]:
        """Online: the location is ACTIVE and, when devices are signed in there, one is not OFFLINE."""
        locations = self._locations()
        devices = self._devices_by_location()
        return [mapping.location_status(loc, devices.get(loc["id"])) for loc in locations]

    # ---- inventory ----------------------------------------------------------------------------

    def fetch_inventory(self) -> list[InventoryCount]:
        """IN_STOCK counts per location and variation, whole units (fractions rounded down)."""
        body: dict[str, Any] = {"states": ["IN_STOCK"], "limit": 1000}
        if self.config.get("location_ids"):
            body["location_ids"] = list(self.config["location_ids"])
        rows = self.api.pages("POST", "/v2/inventory/counts/batch-retrieve", "counts", body=body)
        counts = [c for c in rows if c.get("catalog_object_type", "ITEM_VARIATION") == "ITEM_VARIATION"]
        skus = variation_skus(self.api, [c["catalog_object_id"] for c in counts])
        return [mapping.inventory_count(c, skus) for c in counts]

    # ---- purchases ----------------------------------------------------------------------------

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """One page of COMPLETED orders by updated_at ascending, ten locations at a time (see common.cursor).

        Only final orders are purchases: an OPEN order comes back through updated_at when it completes.
        An order the hub cannot read is set aside in ``unreadable`` and the poll moves on.
        """
        state = UpdatedSince.read(cursor)
        location_ids = self._location_ids()
        groups = [location_ids[i:i + _MAX_ORDER_LOCATIONS]
                  for i in range(0, len(location_ids), _MAX_ORDER_LOCATIONS)] or [[]]
        if state.part >= len(groups):
            state = UpdatedSince(since=state.since, newest=state.newest)  # fewer locations than when saved
        query_filter: dict[str, Any] = {"state_filter": {"states": ["COMPLETED"]}}
        if state.since:
            query_filter["date_time_filter"] = {"updated_at": {"start_at": state.since}}
        body: dict[str, Any] = {
            "location_ids": groups[state.part],
            "query": {"filter": query_filter, "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}},
            "limit": 200,
            "return_entries": False,
        }
        if state.page:
            body["cursor"] = state.page
        data = self.api.call("POST", "/v2/orders/search", body=body)
        orders = data.get("orders") or []
        readable = [o for o in orders if mapping.unreadable_reason(o) is None]
        state.saw(order["updated_at"] for order in readable)
        # Readable orders that are not final yet are left for a later poll; the others are read or set aside.
        pending = {id(o) for o in readable if not mapping.is_final(o)}
        purchases, unreadable = self._read_orders([o for o in orders if id(o) not in pending])
        page = state.page_of(purchases, data.get("cursor"), timespec="milliseconds", parts=len(groups))
        page.unreadable = unreadable
        return page

    def _read_orders(self, orders: list[Any]) -> tuple[list[PurchaseRecord], list[UnreadableRecord]]:
        """The purchases of these orders, and the orders that could not be read, each with its reason."""
        variation_ids = [li["catalog_object_id"] for o in orders if isinstance(o, dict)
                         for li in o.get("line_items") or []
                         if isinstance(li, dict) and li.get("catalog_object_id")]
        skus = variation_skus(self.api, variation_ids) if variation_ids else {}
        prepaid = self.setting("prepaid_source_names")
        purchases, unreadable = [], []
        for order in orders:
            try:
                purchases.append(mapping.purchase(order, skus, prepaid))
            except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError, ConnectorError) as exc:
                external_id = order.get("id") if isinstance(order, dict) else None
                unreadable.append(UnreadableRecord("purchase", external_id, order, _reason(exc)))
        return purchases, unreadable

    def read_purchase(self, raw: Any) -> PurchaseRecord | None:
        """One Square order again (replay): None unless COMPLETED; ValueError when still unreadable."""
        reason = mapping.unreadable_reason(raw)
        if reason:
            raise ValueError(reason)
        if not mapping.is_final(raw):
            return None
        purchases, unreadable = self._read_orders([raw])
        if unreadable:
            raise ValueError(unreadable[0].reason)
        return purchases[0]

    # ---- catalog ------------------------------------------------------------------------------

    def _presence(self, location_ids: list[str] | None) -> dict[str, Any]:
        if location_ids is None:
            location_ids = self.config.get("location_ids") or None
        if location_ids is None:
            return {"present_at_all_locations": True}
        return {"present_at_all_locations": False, "present_at_location_ids": list(location_ids)}

    def _upsert(self, objects: list[dict[str, Any]], idempotency_key: str, purpose: str) -> dict[str, Any]:
        """Upsert one batch and check from Square's answer that it kept what was sent (see verify)."""
        body = upsert_body(objects, idempotency_key, purpose)
        answer = self.api.call("POST", "/v2/catalog/batch-upsert", body=body)
        check_applied(objects, answer)
        return answer

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Upsert items (matched by hub sku) in batches, a Square item once a batch; delete removed ones."""
        catalog = Catalog.read(self.api, "ITEM,CATEGORY,MODIFIER_LIST")
        to_delete: list[str] = []
        by_item: dict[str, list[MenuItemData]] = {}
        for item in items:
            if item.removed:
                to_delete.extend(catalog.deletion_ids(item.sku))
            else:
                # Variations of one Square item travel together: one object, every change in it.
                square_item = catalog.items.get(item.sku)
                by_item.setdefault(square_item["id"] if square_item else f"new:{item.sku}", []).append(item)
        groups = list(by_item.values())
        start = 0
        while start < len(groups):
            batch = MenuBatch(catalog)
            count = 0
            while start < len(groups) and (count == 0 or count + len(groups[start]) <= _ITEMS_PER_UPSERT):
                for item in groups[start]:
                    batch.add(item, self._presence(item.location_external_ids))
                count += len(groups[start])
                start += 1
            # Later batches reuse the categories and modifier lists this one created.
            catalog.learn(self._upsert(batch.objects, idempotency_key, f"menu:{start}"))
        if to_delete:
            self.api.call("POST", "/v2/catalog/batch-delete", body={"object_ids": sorted(set(to_delete))})

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Upsert each coupon as Square models it (see coupons): refused whole when one cannot be applied."""
        if not coupons:
            return
        catalog = Catalog.read(self.api, "ITEM,DISCOUNT,PRODUCT_SET,PRICING_RULE")
        now = datetime.now(UTC)
        objects = []
        for coupon in coupons:
            zone = self._time_zone(coupon.location_external_ids) if needs_time_zone(coupon, now) else None
            presence = self._presence(coupon.location_external_ids)
            objects.extend(coupon_objects(coupon, catalog, presence, zone, now))
        self._upsert(objects, idempotency_key, "coupons")

    def _time_zone(self, location_ids: list[str] | None) -> ZoneInfo | None:
        """The one time zone of these locations (all the connection's when None); None when they differ."""
        wanted = location_ids or self.config.get("location_ids") or []
        zones = {loc.get("timezone") for loc in self._locations() if not wanted or loc["id"] in wanted}
        if len(zones) != 1 or None in zones:
            return None
        try:
            return ZoneInfo(zones.pop())
        except (ValueError, KeyError):
            return None

    def import_menu(self) -> list[MenuItemData]:
        """Every fixed-price variation of every item, as one hub menu item each."""
        return mapping.menu_items(Catalog.read(self.api, "ITEM,CATEGORY,MODIFIER_LIST"))

    # ---- orders (see orders) -------------------------------------------------------------------

    def _order_call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One Orders or Payments API call; Square's refusal of the order comes out as OrderRefused."""
        try:
            return self.api.call(method, path, body=body)
        except ConnectorError as exc:
            raise order_error(exc) from exc

    def _order_location(self, location_id: str | None) -> str:
        """The Square location of an order: known to the account and ACTIVE, or the order is refused."""
        locations = self.api.call("GET", "/v2/locations").get("locations") or []
        configured = self.config.get("location_ids") or []
        if location_id is None and len(configured) == 1:
            location_id = configured[0]
        found = next((loc for loc in locations if loc.get("id") == location_id), None)
        if found is None or (configured and location_id not in configured):
            raise OrderRefused(f"Square has no location {location_id} for this connection",
                               vendor_code="INVALID_LOCATION")
        if found.get("status") != "ACTIVE":
            raise OrderRefused(f"Square location {location_id} is not active",
                               vendor_code="LOCATION_INACTIVE")
        return location_id

    def _square_order(self, ref: OrderRef) -> dict[str, Any]:
        """The order as Square has it now (its current version and fulfillment state)."""
        if not ref.pos_order_id:
            raise OrderRefused("the order never reached Square", vendor_code="NOT_FOUND")
        return self._order_call("GET", f"/v2/orders/{ref.pos_order_id}")["order"]

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """CreateOrder with a pickup; prepaid orders also get their external payment and PayOrder."""
        location_id = self._order_location(order.location_external_id)
        catalog = Catalog.read(self.api, "ITEM,MODIFIER_LIST")
        body = orders.create_body(order, catalog, location_id, derived_key(idempotency_key, "order", {}))
        created = self._order_call("POST", "/v2/orders", body)["order"]
        if order.payment_type != "prepaid":
            return orders.placement(created)  # left OPEN and unpaid, for the till
        mismatch = orders.total_mismatch(order, created)
        if mismatch:
            # Never leave in Square an order the channel's payment cannot pay.
            self._order_call("PUT", f"/v2/orders/{created['id']}", orders.cancel_body(
                created, "payment does not match", derived_key(idempotency_key, "cancel", {})))
            raise OrderRefused(mismatch, vendor_code="PAYMENT_AMOUNT_MISMATCH")
        payment = self._order_call("POST", "/v2/payments", orders.payment_body(
            order, created, derived_key(idempotency_key, "payment", {})))["payment"]
        paid = self._order_call("POST", f"/v2/orders/{created['id']}/pay", {
            "idempotency_key": derived_key(idempotency_key, "pay", {}),
            "order_version": created.get("version"), "payment_ids": [payment["id"]]})
        return orders.placement(paid.get("order") or created)

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """Replace the lines (sparse UpdateOrder at the current version) while the pickup is not started."""
        current = self._square_order(ref)
        refusal = orders.update_refusal(current)
        if refusal:
            raise OrderRefused(refusal, vendor_code="ORDER_STARTED")
        catalog = Catalog.read(self.api, "ITEM,MODIFIER_LIST")
        body = orders.update_body(order, current, catalog, derived_key(idempotency_key, "update", {}))
        updated = self._order_call("PUT", f"/v2/orders/{current['id']}", body)["order"]
        return orders.placement(updated)

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """Cancel the pickup and the order at the current version; a completed order is refused."""
        current = self._square_order(ref)
        if current.get("state") == "CANCELED":
            return orders.placement(current)
        if current.get("state") == "COMPLETED":
            raise OrderRefused("the order is already completed in Square", vendor_code="ORDER_COMPLETED")
        body = orders.cancel_body(current, reason, derived_key(idempotency_key, "cancel", {}))
        return orders.placement(self._order_call("PUT", f"/v2/orders/{current['id']}", body)["order"])

    def fetch_order_statuses(self, refs: list[OrderRef]) -> list[OrderStatusReport]:
        """BatchRetrieveOrders, a hundred at a time; each order's status by orders.status_of."""
        ids = list(dict.fromkeys(r.pos_order_id for r in refs if r.pos_order_id))
        reports = []
        for start in range(0, len(ids), _ORDERS_PER_RETRIEVE):
            data = self.api.call("POST", "/v2/orders/batch-retrieve",
                                 body={"order_ids": ids[start:start + _ORDERS_PER_RETRIEVE]})
            for square_order in data.get("orders") or []:
                found = orders.report(square_order) if isinstance(square_order, dict) else None
                if found:
                    reports.append(found)
        return reports

    # ---- webhooks -----------------------------------------------------------------------------

    def verify_callback(self, headers: Mapping[str, str], body: bytes, url: str) -> bool:
        """Check x-square-hmacsha256-signature against the subscription's signature key."""
        return webhooks.verify(self.credentials.get("webhook_signature_key"),
                               self.config.get("notification_url") or url, headers, body)

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackHint:
        """Any Square event is a hint to poll now; order events also carry the order's status."""
        return webhooks.hint(body)
