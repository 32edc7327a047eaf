"""The Square connector: the hub's connector interface over Square's REST API (see the package notes)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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
    PurchasePage,
)
from hub.connectors.common.cursor import UpdatedSince
from hub.connectors.common.locations import pick_locations
from hub.connectors.square import mapping, webhooks
from hub.connectors.square.catalog import Catalog, variation_skus
from hub.connectors.square.client import BASE_URLS, SquareClient
from hub.connectors.square.errors import MISSING_PERMISSION
from hub.connectors.square.push import MenuBatch, discount_object, upsert_body

# SearchOrders accepts at most this many location ids per query.
_MAX_ORDER_LOCATIONS = 10
_ITEMS_PER_UPSERT = 100


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
        """One page of OPEN and COMPLETED orders by updated_at ascending (see common.cursor)."""
        state = UpdatedSince.read(cursor)
        location_ids = self._location_ids()
        if len(location_ids) > _MAX_ORDER_LOCATIONS:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                f"Square reads orders from at most {_MAX_ORDER_LOCATIONS} locations at once; this "
                f"account has {len(location_ids)}: list up to {_MAX_ORDER_LOCATIONS} in 'Square location "
                "ids' and add another connection for the rest",
            )
        query_filter: dict[str, Any] = {"state_filter": {"states": ["OPEN", "COMPLETED"]}}
        if state.since:
            query_filter["date_time_filter"] = {"updated_at": {"start_at": state.since}}
        body: dict[str, Any] = {
            "location_ids": location_ids,
            "query": {"filter": query_filter, "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}},
            "limit": 200,
            "return_entries": False,
        }
        if state.page:
            body["cursor"] = state.page
        data = self.api.call("POST", "/v2/orders/search", body=body)
        orders = data.get("orders") or []
        state.saw(order.get("updated_at") for order in orders)
        variation_ids = [li["catalog_object_id"] for o in orders for li in o.get("line_items") or []
                         if li.get("catalog_object_id")]
        skus = variation_skus(self.api, variation_ids) if variation_ids else {}
        prepaid = self.setting("prepaid_source_names")
        purchases = [mapping.purchase(order, skus, prepaid) for order in orders]
        return state.page_of(purchases, data.get("cursor"), timespec="milliseconds")

    # ---- catalog ------------------------------------------------------------------------------

    def _presence(self, location_ids: list[str] | None) -> dict[str, Any]:
        if location_ids is None:
            location_ids = self.config.get("location_ids") or None
        if location_ids is None:
            return {"present_at_all_locations": True}
        return {"present_at_all_locations": False, "present_at_location_ids": list(location_ids)}

    def _upsert(self, objects: list[dict[str, Any]], idempotency_key: str, purpose: str) -> dict[str, Any]:
        body = upsert_body(objects, idempotency_key, purpose)
        return self.api.call("POST", "/v2/catalog/batch-upsert", body=body)

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Upsert items (matched by hub sku) in batches; delete removed ones."""
        catalog = Catalog.read(self.api, "ITEM,CATEGORY,MODIFIER_LIST")
        all_locations: list[str] | None = None
        to_delete: list[str] = []
        live = []
        for item in items:
            if item.removed:
                to_delete.extend(catalog.deletion_ids(item.sku))
            else:
                live.append(item)
        for start in range(0, len(live), _ITEMS_PER_UPSERT):
            batch = MenuBatch(catalog)
            for item in live[start:start + _ITEMS_PER_UPSERT]:
                sold_out_at = None
                if not item.available:
                    targets = item.location_external_ids or self.config.get("location_ids")
                    if not targets:
                        if all_locations is None:
                            all_locations = [loc["id"] for loc in self._locations()]
                        targets = all_locations
                    sold_out_at = list(targets)
                batch.add(item, self._presence(item.location_external_ids), sold_out_at)
            # Later batches reuse the categories and modifier lists this one created.
            catalog.learn(self._upsert(batch.objects, idempotency_key, f"menu:{start}"))
        if to_delete:
            self.api.call("POST", "/v2/catalog/batch-delete", body={"object_ids": sorted(set(to_delete))})

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Upsert one manual DISCOUNT per coupon, named by its code (see the package notes)."""
        if not coupons:
            return
        catalog = Catalog.read(self.api, "DISCOUNT")
        now = datetime.now(UTC)
        objects = [discount_object(coupon, catalog.discounts.get(coupon.code), f"#coupon-{index}",
                                   self._presence(coupon.location_external_ids), now)
                   for index, coupon in enumerate(coupons)]
        self._upsert(objects, idempotency_key, "coupons")

    def import_menu(self) -> list[MenuItemData]:
        """Every fixed-price variation of every item, as one hub menu item each."""
        return mapping.menu_items(Catalog.read(self.api, "ITEM,CATEGORY,MODIFIER_LIST"))

    # ---- webhooks -----------------------------------------------------------------------------

    def verify_callback(self, headers: Mapping[str, str], body: bytes, url: str) -> bool:
        """Check x-square-hmacsha256-signature against the subscription's signature key."""
        return webhooks.verify(self.credentials.get("webhook_signature_key"),
                               self.config.get("notification_url") or url, headers, body)

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackHint:
        """Any Square event is a hint to poll now; event_id lets the hub drop redeliveries."""
        return webhooks.hint(body)
