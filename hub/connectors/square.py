"""Square POS connector: Square's REST API v2 for status, stock, orders and catalog, plus its webhooks.

Conventions, so support staff can predict what the hub does in Square:

* The hub sku of a Square item variation is the variation's ``sku``, or its catalog object id when
  the variation has no sku (Square does not require one). Inventory, purchases, imports and
  pushes all use that same rule.
* A hub menu item is one Square ITEM_VARIATION (new items get one ITEM with one variation).
  ``available: false`` marks the variation sold out at its locations; ``removed`` deletes it.
* A coupon is a manual Square DISCOUNT named by the coupon code, which staff apply at the till.
  Square pricing rules apply automatically to every order, which would hand the discount to
  customers without the code, so they are not used. Outside its validity window, or when
  inactive, the discount is hidden from every location (the hub re-pushes to change that).
* Purchases are polled with SearchOrders, oldest update first. The cursor is inclusive and
  overlaps by a couple of minutes (Square's search index is eventually consistent), so an order
  can be reported more than once: the hub deduplicates by external id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import requests

from hub.connectors.base import (
    CallbackHint,
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    ErrorTable,
    InventoryCount,
    LocationStatus,
    MenuItemData,
    PurchaseLineRecord,
    PurchasePage,
    PurchaseRecord,
    map_http_error,
    request_or_transient,
)

SQUARE_VERSION = "2025-08-20"
BASE_URLS = {
    "production": "https://connect.squareup.com",
    "sandbox": "https://connect.squareupsandbox.com",
}
SIGNATURE_HEADER = "x-square-hmacsha256-signature"

# Square error codes first, then HTTP statuses; anything else: 5xx transient, other 4xx permanent.
ERROR_TABLE: ErrorTable = {
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
    401: ErrorKind.PERMANENT,
    403: ErrorKind.PERMANENT,
    408: ErrorKind.TRANSIENT,
    429: ErrorKind.RATE_LIMITED,
}

# ISO 4217 minor-unit exponents that differ from the usual 2.
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())

# SearchOrders accepts at most this many location ids per query.
_MAX_ORDER_LOCATIONS = 10
# Re-read this much before the cursor, for orders that reach Square's search index late.
_CURSOR_OVERLAP = timedelta(minutes=2)
_ITEMS_PER_UPSERT = 100


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


def minor_to_decimal(amount: int, currency: str) -> str:
    """A Square Money amount (smallest unit) as a decimal string: 1050 USD -> "10.50", 500 JPY -> "500"."""
    exponent = currency_exponent(currency)
    return f"{Decimal(int(amount)).scaleb(-exponent):.{exponent}f}"


def decimal_to_minor(value: str, currency: str) -> int:
    """A decimal string as a Square Money amount; more decimals than the currency has is an error."""
    try:
        scaled = Decimal(str(value)).scaleb(currency_exponent(currency))
    except InvalidOperation as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"{value!r} is not a price") from exc
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ConnectorError(
            ErrorKind.PERMANENT, f"{value} {currency} has more decimals than {currency} allows"
        )
    return int(scaled)


def signature(key: str, notification_url: str, body: bytes) -> str:
    """Square's webhook signature: base64(HMAC-SHA256(key, notification URL + raw body))."""
    digest = hmac.new(key.encode(), notification_url.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _derived_key(idempotency_key: str, purpose: str, body: Any) -> str:
    # The body is part of the key: a retry that finds its first attempt already applied sends
    # real ids instead of "#" ones, and Square rejects a reused key with a different body.
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{idempotency_key}:{purpose}:{digest}"))


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hub_sku(variation: Mapping[str, Any]) -> str:
    """The hub sku of a Square ITEM_VARIATION object: its sku, else its catalog id."""
    return (variation.get("item_variation_data") or {}).get("sku") or variation["id"]


class _Catalog:
    """The parts of a Square catalog that a push or an import needs, indexed."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.items: dict[str, dict[str, Any]] = {}  # hub sku -> ITEM object
        self.variations: dict[str, dict[str, Any]] = {}  # hub sku -> ITEM_VARIATION object
        self.categories: dict[str, str] = {}  # category id -> name
        self.modifier_lists: dict[str, dict[str, Any]] = {}  # id -> MODIFIER_LIST object
        self.discounts: dict[str, dict[str, Any]] = {}  # name -> DISCOUNT object
        self.item_objects: list[dict[str, Any]] = []
        for obj in objects:
            if obj.get("is_deleted"):
                continue
            kind = obj.get("type")
            if kind == "ITEM":
                self.item_objects.append(obj)
                for variation in (obj.get("item_data") or {}).get("variations") or []:
                    self.items[hub_sku(variation)] = obj
                    self.variations[hub_sku(variation)] = variation
                    self.variations.setdefault(variation["id"], variation)
                    self.items.setdefault(variation["id"], obj)
            elif kind == "CATEGORY":
                self.categories[obj["id"]] = (obj.get("category_data") or {}).get("name", "")
            elif kind == "MODIFIER_LIST":
                self.modifier_lists[obj["id"]] = obj
            elif kind == "DISCOUNT":
                self.discounts[(obj.get("discount_data") or {}).get("name", "")] = obj

    def category_id(self, name: str) -> str | None:
        """The id of the category with this name (case-insensitive), if any."""
        for cid, cname in self.categories.items():
            if cname.lower() == name.lower():
                return cid
        return None

    def modifier_list_named(self, name: str) -> dict[str, Any] | None:
        """The modifier list with this name (case-insensitive), if any."""
        for obj in self.modifier_lists.values():
            if (obj.get("modifier_list_data") or {}).get("name", "").lower() == name.lower():
                return obj
        return None


class SquareConnector(Connector):
    """Square Point of Sale, through Square's REST API (Connect v2)."""

    type = "square"
    title = "Square"
    description = (
        "Square Point of Sale tills and kiosks. The hub polls Square for location status, stock "
        "and orders, pushes menu items and coupons into the Square item library, and accepts "
        "Square webhooks as a signal to poll early."
    )
    settings_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "environment": {
                "type": "string",
                "title": "Square environment",
                "description": "'production' for the live Square account, 'sandbox' for a test account.",
                "enum": ["production", "sandbox"],
                "default": "production",
            },
            "base_url": {
                "type": "string",
                "title": "API address override",
                "description": "Leave empty. Only for testing against a mock of the Square API.",
                "format": "uri",
            },
            "location_ids": {
                "type": "array",
                "title": "Square location ids",
                "description": (
                    "Only these Square locations (ids such as 'L8X2KJ3M1Q9ZT', from Square Dashboard > "
                    "Locations). Empty: every location of the account. Orders are read from at most "
                    "10 locations per connection."
                ),
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
            },
            "notification_url": {
                "type": "string",
                "title": "Webhook notification URL",
                "description": (
                    "The notification URL exactly as entered in the Square webhook subscription. "
                    "Square signs it, so it must match character for character. Empty: the address "
                    "the webhook arrived at."
                ),
                "format": "uri",
            },
            "prepaid_source_names": {
                "type": "array",
                "title": "Prepaid ordering channels",
                "description": (
                    "Order source names (as Square shows them, e.g. 'Square Online') of ordering "
                    "channels: paid orders from these count as prepaid, other paid orders as paid at the POS."
                ),
                "items": {"type": "string", "minLength": 1},
                "default": ["Square Online"],
            },
        },
    }
    credentials_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["access_token"],
        "properties": {
            "access_token": {
                "type": "string",
                "title": "Access token",
                "description": (
                    "A Square access token (personal token from the Square Developer Dashboard, or an "
                    "OAuth token) with ITEMS, INVENTORY, ORDERS, MERCHANT_PROFILE and DEVICES read and "
                    "ITEMS write permissions."
                ),
                "minLength": 1,
            },
            "webhook_signature_key": {
                "type": "string",
                "title": "Webhook signature key",
                "description": (
                    "The signature key of the Square webhook subscription. Without it, Square webhooks "
                    "are refused and the hub relies on polling alone."
                ),
            },
        },
    }
    capabilities = frozenset(Capability)  # every one
    outbound_url_settings = ("base_url",)
    default_poll_interval_seconds = 60

    # ---- HTTP -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The Square API root for this connection's environment."""
        override = self.config.get("base_url")
        if override:
            return override.rstrip("/")
        return BASE_URLS[self.config.get("environment", "production")]

    def _call(self, method: str, path: str, *, body: Any = None, params: Any = None) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.credentials.get('access_token', '')}",
            "Square-Version": SQUARE_VERSION,
            "Accept": "application/json",
        }
        response = request_or_transient(
            self.http, method, self.base_url + path, headers=headers, json=body, params=params,
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise self._error(response)
        try:
            data = response.json()
        except ValueError as exc:
            # A 2xx that is not JSON is a proxy or outage page, not Square's answer.
            raise ConnectorError(ErrorKind.TRANSIENT, f"Square answered HTTP {response.status_code} "
                                 "without JSON", status=response.status_code) from exc
        if data.get("errors"):
            raise self._error(response)
        return data

    @staticmethod
    def _error(response: requests.Response) -> ConnectorError:
        try:
            errors = response.json().get("errors") or []
        except (ValueError, AttributeError):
            errors = []
        if not errors:
            return map_http_error(response, ERROR_TABLE)
        parts = []
        for err in errors:
            text = err.get("detail") or err.get("code", "")
            if err.get("field"):
                text = f"{text} (field {err['field']})"
            parts.append(text)
        return map_http_error(response, ERROR_TABLE, vendor_code=errors[0].get("code"),
                              message="; ".join(parts))

    def _pages(self, method: str, path: str, key: str, *, body: dict[str, Any] | None = None,
               params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = {"cursor": cursor} if cursor else {}
            if method == "GET":
                data = self._call(method, path, params={**(params or {}), **page})
            else:
                data = self._call(method, path, body={**(body or {}), **page})
            yield from data.get(key) or []
            cursor = data.get("cursor")
            if not cursor:
                return

    # ---- status -----------------------------------------------------------------------------

    def _locations(self) -> list[dict[str, Any]]:
        locations = self._call("GET", "/v2/locations").get("locations") or []
        wanted = self.config.get("location_ids")
        if not wanted:
            return locations
        known = {loc["id"] for loc in locations}
        missing = [lid for lid in wanted if lid not in known]
        if missing:
            raise ConnectorError(ErrorKind.PERMANENT, "Square has no location with id "
                                 + ", ".join(missing) + " in this account", vendor_code="NOT_FOUND")
        return [loc for loc in locations if loc["id"] in wanted]

    def _location_ids(self) -> list[str]:
        return list(self.config.get("location_ids") or [loc["id"] for loc in self._locations()])

    def test_connection(self) -> None:
        """List the account's locations: proves the token and the location filter."""
        self._locations()

    def _devices_by_location(self) -> dict[str, list[str]] | None:
        try:
            devices = list(self._pages("GET", "/v2/devices", "devices"))
        except ConnectorError as exc:
            # Tokens without DEVICES_READ still get location status; nothing else is hidden.
            if exc.kind is ErrorKind.PERMANENT and exc.vendor_code in {"INSUFFICIENT_SCOPES", "FORBIDDEN"}:
                return None
            raise
        by_location: dict[str, list[str]] = {}
        for device in devices:
            category = (device.get("status") or {}).get("category", "AVAILABLE")
            for component in device.get("components") or []:
                location = (component.get("application_details") or {}).get("session_location")
                if location:
                    by_location.setdefault(location, []).append(category)
        return by_location

    def fetch_status(self) -> list[LocationStatus]:
        """Online: the location is ACTIVE and, when devices are signed in there, one is not OFFLINE."""
        locations = self._locations()
        devices = self._devices_by_location() or {}
        statuses = []
        for loc in locations:
            categories = devices.get(loc["id"])
            online = loc.get("status") == "ACTIVE" and (
                not categories or any(c != "OFFLINE" for c in categories)
            )
            statuses.append(LocationStatus(loc["id"], loc.get("name") or loc["id"], online))
        return statuses

    # ---- inventory ----------------------------------------------------------------------------

    def _skus(self, object_ids: list[str]) -> dict[str, str]:
        """Hub skus of these variation ids; ids Square no longer knows map to themselves."""
        skus: dict[str, str] = {}
        unique = sorted(set(object_ids))
        for start in range(0, len(unique), 1000):
            chunk = unique[start:start + 1000]
            data = self._call("POST", "/v2/catalog/batch-retrieve",
                              body={"object_ids": chunk, "include_related_objects": False})
            for obj in data.get("objects") or []:
                if obj.get("type") == "ITEM_VARIATION":
                    skus[obj["id"]] = hub_sku(obj)
        return {oid: skus.get(oid, oid) for oid in unique}

    def fetch_inventory(self) -> list[InventoryCount]:
        """IN_STOCK counts per location and variation, whole units (fractions rounded down)."""
        body: dict[str, Any] = {"states": ["IN_STOCK"], "limit": 1000}
        if self.config.get("location_ids"):
            body["location_ids"] = list(self.config["location_ids"])
        counts = [c for c in self._pages("POST", "/v2/inventory/counts/batch-retrieve", "counts", body=body)
                  if c.get("catalog_object_type", "ITEM_VARIATION") == "ITEM_VARIATION"]
        skus = self._skus([c["catalog_object_id"] for c in counts])
        return [
            InventoryCount(
                location_external_id=c["location_id"],
                sku=skus[c["catalog_object_id"]],
                quantity=int(Decimal(c.get("quantity") or "0").to_integral_value(ROUND_FLOOR)),
            )
            for c in counts
        ]

    # ---- purchases ----------------------------------------------------------------------------

    @staticmethod
    def _decode_cursor(cursor: str | None) -> dict[str, Any]:
        if not cursor:
            return {}
        if cursor.startswith("{"):
            try:
                return json.loads(cursor)
            except ValueError as exc:
                raise ConnectorError(ErrorKind.PERMANENT, f"unreadable purchase cursor {cursor!r}") from exc
        return {"since": cursor}  # a bare RFC 3339 time, e.g. set by support staff

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """One page of OPEN and COMPLETED orders by updated_at ascending.

        The cursor is JSON: ``since`` (inclusive updated_at lower bound of this poll), ``newest``
        (latest updated_at seen so far) and ``page`` (Square's cursor, while a poll has pages left).
        After the last page the next poll starts at ``newest`` minus a short overlap.
        """
        state = self._decode_cursor(cursor)
        location_ids = self._location_ids()
        if len(location_ids) > _MAX_ORDER_LOCATIONS:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                f"Square reads orders from at most {_MAX_ORDER_LOCATIONS} locations at once; this "
                f"account has {len(location_ids)}: list up to {_MAX_ORDER_LOCATIONS} in 'Square location "
                "ids' and add another connection for the rest",
            )
        query_filter: dict[str, Any] = {"state_filter": {"states": ["OPEN", "COMPLETED"]}}
        if state.get("since"):
            query_filter["date_time_filter"] = {"updated_at": {"start_at": state["since"]}}
        body: dict[str, Any] = {
            "location_ids": location_ids,
            "query": {"filter": query_filter, "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}},
            "limit": 200,
            "return_entries": False,
        }
        if state.get("page"):
            body["cursor"] = state["page"]
        data = self._call("POST", "/v2/orders/search", body=body)
        orders = data.get("orders") or []
        newest = state.get("newest")  # only order times advance it, so empty polls never drift back
        for order in orders:
            updated = order.get("updated_at")
            if updated and (newest is None or _parse_time(updated) > _parse_time(newest)):
                newest = updated
        variation_ids = [li["catalog_object_id"] for o in orders for li in o.get("line_items") or []
                         if li.get("catalog_object_id")]
        skus = self._skus(variation_ids) if variation_ids else {}
        purchases = [self._purchase(order, skus) for order in orders]
        if data.get("cursor"):
            next_state = {"since": state.get("since"), "newest": newest, "page": data["cursor"]}
            return PurchasePage(purchases, json.dumps(next_state), has_more=True)
        if newest is None:
            unchanged = json.dumps({"since": state["since"]}) if state.get("since") else None
            return PurchasePage(purchases, unchanged, has_more=False)
        since = _rfc3339(_parse_time(newest) - _CURSOR_OVERLAP)
        return PurchasePage(purchases, json.dumps({"since": since}), has_more=False)

    def _payment_state(self, order: Mapping[str, Any]) -> str:
        # Rule: paid (tenders, or COMPLETED) orders from a configured ordering channel are prepaid;
        # other paid orders were paid at the POS; an OPEN order without tenders is unpaid.
        paid = bool(order.get("tenders")) or order.get("state") == "COMPLETED"
        if not paid:
            return "unpaid"
        prepaid_sources = self.config.get("prepaid_source_names", ["Square Online"])
        if (order.get("source") or {}).get("name") in prepaid_sources:
            return "prepaid"
        return "paid_at_pos"

    def _purchase(self, order: Mapping[str, Any], skus: Mapping[str, str]) -> PurchaseRecord:
        total = order.get("total_money") or {"amount": 0, "currency": "USD"}
        currency = total.get("currency", "USD")
        lines = []
        for li in order.get("line_items") or []:
            line_currency = (li.get("total_money") or {}).get("currency", currency)
            unit_minor = (li.get("base_price_money") or {}).get("amount", 0)
            object_id = li.get("catalog_object_id")
            lines.append(PurchaseLineRecord(
                # Custom-amount lines have no catalog object: they keep an empty sku.
                sku=skus.get(object_id, object_id) if object_id else "",
                quantity=int(Decimal(li.get("quantity") or "1").to_integral_value(ROUND_HALF_UP)),
                unit_price=minor_to_decimal(unit_minor, line_currency),
                line_total=minor_to_decimal((li.get("total_money") or {}).get("amount", 0), line_currency),
                name=" ".join(p for p in (li.get("name"), li.get("variation_name")) if p) or None,
            ))
        # Only catalog discounts count as coupons: ad-hoc discounts typed at the till have no code.
        codes = [d["name"] for d in order.get("discounts") or []
                 if d.get("name") and (d.get("catalog_object_id") or d.get("pricing_rule_id"))]
        return PurchaseRecord(
            external_id=order["id"],
            location_external_id=order.get("location_id"),
            occurred_at=_parse_time(order.get("closed_at") or order.get("created_at") or order["updated_at"]),
            lines=lines,
            total=minor_to_decimal(total.get("amount", 0), currency),
            currency=currency,
            payment_state=self._payment_state(order),
            coupon_codes=list(dict.fromkeys(codes)),
            customer_key=order.get("customer_id"),
        )

    # ---- catalog ------------------------------------------------------------------------------

    def _catalog(self, types: str) -> _Catalog:
        return _Catalog(list(self._pages("GET", "/v2/catalog/list", "objects", params={"types": types})))

    def _presence(self, location_ids: list[str] | None) -> dict[str, Any]:
        if location_ids is None:
            location_ids = self.config.get("location_ids") or None
        if location_ids is None:
            return {"present_at_all_locations": True}
        return {"present_at_all_locations": False, "present_at_location_ids": list(location_ids)}

    def _upsert(self, objects: list[dict[str, Any]], idempotency_key: str, purpose: str) -> dict[str, Any]:
        batches = [{"objects": objects}]
        body = {"idempotency_key": _derived_key(idempotency_key, purpose, batches), "batches": batches}
        return self._call("POST", "/v2/catalog/batch-upsert", body=body)

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Upsert items (matched by hub sku) in batches; delete removed ones."""
        catalog = self._catalog("ITEM,CATEGORY,MODIFIER_LIST")
        all_locations: list[str] | None = None
        to_delete: list[str] = []
        live = []
        for item in items:
            if item.removed:
                to_delete.extend(self._deletion_ids(catalog, item.sku))
            else:
                live.append(item)
        for start in range(0, len(live), _ITEMS_PER_UPSERT):
            builder = _MenuBatch(catalog)
            for item in live[start:start + _ITEMS_PER_UPSERT]:
                sold_out_at = None
                if not item.available:
                    targets = item.location_external_ids or self.config.get("location_ids")
                    if not targets:
                        if all_locations is None:
                            all_locations = [loc["id"] for loc in self._locations()]
                        targets = all_locations
                    sold_out_at = list(targets)
                builder.add(item, self._presence(item.location_external_ids), sold_out_at)
            result = self._upsert(builder.objects, idempotency_key, f"menu:{start}")
            # Later batches reuse the categories and modifier lists this one created.
            builder.learn(result)
        if to_delete:
            self._call("POST", "/v2/catalog/batch-delete", body={"object_ids": sorted(set(to_delete))})

    @staticmethod
    def _deletion_ids(catalog: _Catalog, sku: str) -> list[str]:
        item = catalog.items.get(sku)
        if item is None:
            return []  # already gone: removing is idempotent
        variations = (item.get("item_data") or {}).get("variations") or []
        if len(variations) <= 1:
            return [item["id"]]
        return [catalog.variations[sku]["id"]]  # keep the item's other variations

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Upsert one manual DISCOUNT per coupon, named by its code (see the module notes)."""
        if not coupons:
            return
        catalog = self._catalog("DISCOUNT")
        now = datetime.now(UTC)
        objects = []
        for index, coupon in enumerate(coupons):
            existing = catalog.discounts.get(coupon.code)
            data: dict[str, Any] = {"name": coupon.code, "modify_tax_basis": "MODIFY_TAX_BASIS"}
            if coupon.discount_type == "percent":
                if coupon.percent_off is None:
                    raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} has no percent_off")
                data["discount_type"] = "FIXED_PERCENTAGE"
                data["percentage"] = str(Decimal(coupon.percent_off))
            else:
                if coupon.amount_off is None or not coupon.currency:
                    raise ConnectorError(ErrorKind.PERMANENT,
                                         f"coupon {coupon.code} needs amount_off and currency")
                data["discount_type"] = "FIXED_AMOUNT"
                data["amount_money"] = {"amount": decimal_to_minor(coupon.amount_off, coupon.currency),
                                        "currency": coupon.currency}
            usable = coupon.active and (coupon.valid_from is None or coupon.valid_from <= now) and (
                coupon.valid_until is None or coupon.valid_until > now)
            presence = self._presence(coupon.location_external_ids) if usable else {
                "present_at_all_locations": False, "present_at_location_ids": []}
            objects.append({"type": "DISCOUNT", "id": existing["id"] if existing else f"#coupon-{index}",
                            **presence, "discount_data": data})
        self._upsert(objects, idempotency_key, "coupons")

    def import_menu(self) -> list[MenuItemData]:
        """Every fixed-price variation of every item, as one hub menu item each."""
        catalog = self._catalog("ITEM,CATEGORY,MODIFIER_LIST")
        menu = []
        for item in catalog.item_objects:
            data = item.get("item_data") or {}
            variations = data.get("variations") or []
            category_ids = [c["id"] for c in data.get("categories") or []] or (
                [data["category_id"]] if data.get("category_id") else [])
            category = next((catalog.categories[c] for c in category_ids if c in catalog.categories), None)
            infos = [info for info in data.get("modifier_list_info") or []
                     if info.get("enabled", True) and info.get("modifier_list_id") in catalog.modifier_lists]
            for variation in variations:
                vdata = variation.get("item_variation_data") or {}
                price = vdata.get("price_money")
                if variation.get("is_deleted") or not price:
                    continue  # variable-priced variations have no price to import
                name = data.get("name", "")
                if len(variations) > 1 and vdata.get("name"):
                    name = f"{name} ({vdata['name']})"
                sold_out = any(o.get("sold_out") for o in vdata.get("location_overrides") or [])
                menu.append(MenuItemData(
                    sku=hub_sku(variation),
                    name=name,
                    price=minor_to_decimal(price["amount"], price["currency"]),
                    currency=price["currency"],
                    description=data.get("description_plaintext") or data.get("description"),
                    category=category,
                    modifiers=[_modifier_payload(catalog.modifier_lists[info["modifier_list_id"]], info,
                                                 price["currency"]) for info in infos],
                    available=not data.get("is_archived") and not sold_out,
                    location_external_ids=None if item.get("present_at_all_locations", True)
                    else list(item.get("present_at_location_ids") or []),
                ))
        return menu

    # ---- webhooks -----------------------------------------------------------------------------

    def verify_callback(self, headers: Mapping[str, str], body: bytes, url: str) -> bool:
        """Check x-square-hmacsha256-signature against the subscription's signature key."""
        key = self.credentials.get("webhook_signature_key")
        given = _header(headers, SIGNATURE_HEADER)
        if not key or not given:
            return False
        expected = signature(key, self.config.get("notification_url") or url, body)
        return hmac.compare_digest(expected.encode(), given.strip().encode())

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackHint:
        """Any Square event is a hint to poll now; event_id lets the hub drop redeliveries."""
        try:
            event = json.loads(body)
        except ValueError:
            return CallbackHint()
        if not isinstance(event, dict):
            return CallbackHint()
        return CallbackHint(event_id=event.get("event_id"), event_type=event.get("type"), poll_now=True)


def _modifier_payload(modifier_list: Mapping[str, Any], info: Mapping[str, Any],
                      currency: str) -> dict[str, Any]:
    """A Square modifier list as the hub's modifier (schemas/common/modifier.json)."""
    data = modifier_list.get("modifier_list_data") or {}
    options = []
    for modifier in data.get("modifiers") or []:
        mdata = modifier.get("modifier_data") or {}
        money = mdata.get("price_money") or {"amount": 0, "currency": currency}
        options.append({"name": mdata.get("name", ""),
                        "price": {"amount": minor_to_decimal(money["amount"], money["currency"]),
                                  "currency": money["currency"]}})
    # The item's override wins; -1 means "as the list says".
    low = info.get("min_selected_modifiers", -1)
    high = info.get("max_selected_modifiers", -1)
    low = data.get("min_selected_modifiers", 0) if low in (None, -1) else low
    high = data.get("max_selected_modifiers", 0) if high in (None, -1) else high
    return {"name": data.get("name", ""), "options": options, "required": (low or 0) > 0,
            "max_selections": high if high and high > 0 else None}


def _option_price(option: Mapping[str, Any], currency: str) -> tuple[str, str] | None:
    """An option's extra charge as (amount, currency), from a money object or a bare amount."""
    price = option.get("price")
    if price is None:
        return None
    if isinstance(price, Mapping):
        return str(price["amount"]), str(price.get("currency") or currency)
    return str(price), currency


class _MenuBatch:
    """Builds the catalog objects of one BatchUpsertCatalogObjects request."""

    def __init__(self, catalog: _Catalog) -> None:
        self.catalog = catalog
        self.objects: list[dict[str, Any]] = []
        self._new_categories: dict[str, str] = {}  # lower name -> "#" id
        self._new_lists: dict[str, str] = {}
        self._counter = 0
        self._currency = "USD"  # modifier prices take the currency of the item being added

    def _temp_id(self, prefix: str) -> str:
        self._counter += 1
        return f"#{prefix}-{self._counter}"

    def _category(self, name: str) -> str:
        found = self.catalog.category_id(name)
        if found:
            return found
        key = name.lower()
        if key not in self._new_categories:
            self._new_categories[key] = self._temp_id("category")
            self.objects.append({"type": "CATEGORY", "id": self._new_categories[key],
                                 "category_data": {"name": name}})
        return self._new_categories[key]

    def _modifier_list(self, modifier: Mapping[str, Any]) -> str:
        name = str(modifier.get("name") or "Options")
        key = name.lower()
        if key in self._new_lists:
            return self._new_lists[key]
        existing = self.catalog.modifier_list_named(name)
        list_id = existing["id"] if existing else self._temp_id("modifiers")
        self._new_lists[key] = list_id
        known = {((m.get("modifier_data") or {}).get("name") or "").lower(): m["id"]
                 for m in ((existing or {}).get("modifier_list_data") or {}).get("modifiers") or []}
        modifiers = []
        for option in modifier.get("options") or []:
            oname = str(option.get("name") or "")
            mdata: dict[str, Any] = {"name": oname}
            price = _option_price(option, self._currency)
            if price is not None:
                mdata["price_money"] = {"amount": decimal_to_minor(*price), "currency": price[1]}
            modifiers.append({"type": "MODIFIER", "id": known.get(oname.lower()) or self._temp_id("modifier"),
                              "modifier_data": mdata})
        list_data: dict[str, Any] = {"name": name}
        if modifiers:
            list_data["modifiers"] = modifiers
        self.objects.append({"type": "MODIFIER_LIST", "id": list_id, "modifier_list_data": list_data})
        return list_id

    def add(self, item: MenuItemData, presence: dict[str, Any], sold_out_at: list[str] | None) -> None:
        """Add the ITEM (with this sku's variation) and any category or modifier list it needs."""
        self._currency = item.currency
        existing_item = self.catalog.items.get(item.sku)
        existing_variation = self.catalog.variations.get(item.sku)
        item_id = existing_item["id"] if existing_item else self._temp_id("item")
        variation_id = existing_variation["id"] if existing_variation else self._temp_id("variation")

        vdata = dict((existing_variation or {}).get("item_variation_data") or {})
        overrides = []
        for override in vdata.get("location_overrides") or []:
            # The hub's price is the price everywhere: drop per-location prices and sold-out flags.
            kept = {k: v for k, v in override.items() if k not in {"price_money", "pricing_type", "sold_out"}}
            if len(kept) > 1:
                overrides.append(kept)
        for location_id in sold_out_at or []:
            overrides = [o for o in overrides if o.get("location_id") != location_id]
            overrides.append({"location_id": location_id, "sold_out": True})
        vdata.update({
            "item_id": item_id,
            "name": vdata.get("name") or "Regular",
            "pricing_type": "FIXED_PRICING",
            "price_money": {"amount": decimal_to_minor(item.price, item.currency), "currency": item.currency},
            "location_overrides": overrides,
        })
        if not (existing_variation and existing_variation["id"] == item.sku):
            vdata["sku"] = item.sku  # a variation matched by its catalog id keeps its own sku (or none)
        variation = {"type": "ITEM_VARIATION", "id": variation_id, **presence, "item_variation_data": vdata}

        data = dict((existing_item or {}).get("item_data") or {})
        others = [_without_versions(v) for v in data.get("variations") or [] if v["id"] != variation_id]
        data.update({"name": item.name, "variations": [*others, variation]})
        if item.description is not None:
            data["description"] = item.description
            data.pop("description_html", None)
            data.pop("description_plaintext", None)
        if item.category:
            data["categories"] = [{"id": self._category(item.category)}]
            data.pop("category_id", None)
        if item.modifiers:
            data["modifier_list_info"] = [
                {"modifier_list_id": self._modifier_list(m), "enabled": True,
                 "min_selected_modifiers": 1 if m.get("required") else 0,
                 "max_selected_modifiers": m.get("max_selections") or 0}  # 0: no limit
                for m in item.modifiers]
        obj = _without_versions(existing_item or {})
        obj.update({"type": "ITEM", "id": item_id, **presence, "item_data": data})
        if presence.get("present_at_all_locations"):
            obj.pop("present_at_location_ids", None)
        self.objects.append(obj)

    def learn(self, result: Mapping[str, Any]) -> None:
        """Record objects Square created, so the next batch updates them instead of creating twins."""
        for obj in result.get("objects") or []:
            if obj.get("type") == "CATEGORY":
                self.catalog.categories[obj["id"]] = (obj.get("category_data") or {}).get("name", "")
            elif obj.get("type") == "MODIFIER_LIST":
                self.catalog.modifier_lists[obj["id"]] = obj


def _without_versions(obj: Mapping[str, Any]) -> dict[str, Any]:
    # Without a version Square applies the write as last-writer-wins, which is what a push means.
    return {k: v for k, v in obj.items() if k not in {"version", "updated_at", "created_at", "is_deleted"}}
