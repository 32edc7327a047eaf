"""Shopify POS connector: the GraphQL Admin API for status, stock, orders and catalog, plus webhooks.

Conventions, so support staff can predict what the hub does in Shopify:

* The hub sku of a Shopify variant is its ``sku``, or its variant id (``gid://shopify/ProductVariant/…``)
  when it has none. A hub menu item is one variant; new items become one product with one variant,
  published to the Point of Sale channel.
* ``available: false`` sets the product to DRAFT (hidden from the till, kept in the admin);
  ``removed`` sets it to ARCHIVED, which Shopify can undo and which keeps order history intact
  (for a product with several variants only that variant is deleted). Products with several
  variants only get price and sku updates, so one hub item never renames its siblings.
* Shopify has no modifiers and no per-location menus: modifiers and menu location lists are
  ignored. Prices must be in the shop's currency.
* A coupon is a basic code discount (percentage or fixed amount off, all buyers, optionally only
  some skus); an inactive coupon is deactivated. Code discounts apply at every location.
* Shopify takes no idempotency key on these mutations; pushes look items up by sku and coupons by
  code first, so a retried push updates what the first attempt created.
* Purchases are polled by ``updated_at`` ascending, inclusive with a short overlap, so an order can
  be reported more than once: the hub deduplicates by external id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
from hub.connectors.square import currency_exponent
from hub.outbound.failures import ALLOW_LIST_HINT
from hub.outbound.policy import is_allowed_host

DEFAULT_API_VERSION = "2025-07"
SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"

# GraphQL error codes (extensions.code) and userErrors first, then HTTP statuses.
ERROR_TABLE: ErrorTable = {
    "THROTTLED": ErrorKind.RATE_LIMITED,
    "ACCESS_DENIED": ErrorKind.PERMANENT,
    "MAX_COST_EXCEEDED": ErrorKind.PERMANENT,
    "INTERNAL_SERVER_ERROR": ErrorKind.TRANSIENT,
    "USER_ERROR": ErrorKind.PERMANENT,
    401: ErrorKind.PERMANENT,
    402: ErrorKind.PERMANENT,  # shop frozen for unpaid bills
    403: ErrorKind.PERMANENT,
    404: ErrorKind.PERMANENT,
    423: ErrorKind.PERMANENT,  # shop locked
    429: ErrorKind.RATE_LIMITED,
}

_PAID = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
_CURSOR_OVERLAP = timedelta(minutes=2)
_POS_PUBLICATION = "Point of Sale"

_SHOP_QUERY = "query Shop { shop { name currencyCode } }"
# A store's own address: Shopify's store names are letters, digits and hyphens.
_STORE_HOST = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
_LOCATIONS_QUERY = """
query Locations($after: String) {
  locations(first: 100, after: $after, includeInactive: true) {
    nodes { id name isActive }
    pageInfo { hasNextPage endCursor }
  }
}"""
_LEVELS_QUERY = """
query Levels($id: ID!, $after: String) {
  location(id: $id) {
    inventoryLevels(first: 250, after: $after) {
      nodes { item { sku variant { id } } quantities(names: ["available"]) { name quantity } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
_ORDERS_QUERY = """
query Orders($after: String, $query: String) {
  orders(first: 50, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes {
      id name createdAt processedAt updatedAt cancelledAt displayFinancialStatus sourceName
      channelInformation { channelDefinition { handle } }
      retailLocation { id }
      customer { id }
      discountCodes
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 100) {
        nodes {
          sku name quantity variant { id }
          originalUnitPriceSet { shopMoney { amount currencyCode } }
          discountedTotalSet { shopMoney { amount currencyCode } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
_VARIANT_BY_SKU_QUERY = """
query VariantBySku($query: String!) {
  productVariants(first: 5, query: $query) {
    nodes { id sku product { id status variantsCount { count } } }
  }
}"""
_PUSH_CONTEXT_QUERY = """
query PushContext { shop { currencyCode } publications(first: 50) { nodes { id name } } }"""
_PRODUCTS_QUERY = """
query Products($after: String) {
  shop { currencyCode }
  products(first: 50, after: $after) {
    nodes {
      id title description productType status
      variants(first: 100) { nodes { id sku title price } }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
_PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product { id }
    userErrors { field message code }
  }
}"""
_PRODUCT_UPDATE = """
mutation ProductUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id }
    userErrors { field message }
  }
}"""
_VARIANTS_UPDATE = """
mutation VariantsUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id }
    userErrors { field message code }
  }
}"""
_VARIANTS_DELETE = """
mutation VariantsDelete($productId: ID!, $variantsIds: [ID!]!) {
  productVariantsBulkDelete(productId: $productId, variantsIds: $variantsIds) {
    product { id }
    userErrors { field message code }
  }
}"""
_PUBLISH = """
mutation Publish($id: ID!, $input: [PublicationInput!]!) {
  publishablePublish(id: $id, input: $input) {
    userErrors { field message }
  }
}"""
_DISCOUNT_BY_CODE = "query DiscountByCode($code: String!) { codeDiscountNodeByCode(code: $code) { id } }"
_DISCOUNT_CREATE = """
mutation DiscountCreate($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""
_DISCOUNT_UPDATE = """
mutation DiscountUpdate($id: ID!, $discount: DiscountCodeBasicInput!) {
  discountCodeBasicUpdate(id: $id, basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""
_DISCOUNT_DEACTIVATE = """
mutation DiscountDeactivate($id: ID!) {
  discountCodeDeactivate(id: $id) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""


def signature(secret: str, body: bytes) -> str:
    """Shopify's webhook signature: base64(HMAC-SHA256(app secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shop_domain(value: str) -> str:
    """'acme', 'acme.myshopify.com' or 'https://acme.myshopify.com/' -> 'acme.myshopify.com'."""
    host = value.strip().lower().removeprefix("https://").removeprefix("http://").split("/")[0]
    return host if "." in host else f"{host}.myshopify.com"


def shop_host(value: str, allowed_hosts: Iterable[str] = ()) -> str:
    """The shop's host: a '<name>.myshopify.com' store, or a host (with port) named in the allow list.

    Anything else (an address, another domain, a port) raises ValueError: the shop setting is not a way
    to make the hub call another server.
    """
    host = shop_domain(value)
    if _STORE_HOST.fullmatch(host) or is_allowed_host(host.rsplit(":", 1)[0], allowed_hosts):
        return host
    raise ValueError(f"{value!r} is not a Shopify store address: give the store's <name>.myshopify.com "
                     f"address ({ALLOW_LIST_HINT})")


def location_gid(value: str) -> str:
    """A location id as Shopify's global id; plain numbers (as the admin URL shows) are accepted."""
    return value if value.startswith("gid://") else f"gid://shopify/Location/{value}"


def normalize_amount(amount: str, currency: str) -> str:
    """A Shopify decimal amount ("12.5") with the currency's decimals ("12.50"; JPY "500")."""
    exponent = currency_exponent(currency)
    return str(Decimal(str(amount)).quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _throttle_delay(extensions: Mapping[str, Any] | None) -> float | None:
    """Seconds until the query's cost is restored, from extensions.cost.throttleStatus."""
    cost = (extensions or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    restore = status.get("restoreRate")
    if not restore:
        return None
    needed = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
    return float(max(1, math.ceil(needed / float(restore))))


class ShopifyConnector(Connector):
    """Shopify POS, through Shopify's GraphQL Admin API."""

    type = "shopify"
    title = "Shopify POS"
    description = (
        "Shopify POS stores. The hub polls Shopify for location status, available stock and POS "
        "orders, pushes menu items and discount codes into the Shopify admin, and accepts Shopify "
        "webhooks as a signal to poll early."
    )
    settings_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["shop"],
        "properties": {
            "shop": {
                "type": "string",
                "title": "Shop domain",
                "description": "The store's myshopify.com address, e.g. 'acme-foods.myshopify.com'.",
                "minLength": 1,
            },
            "api_version": {
                "type": "string",
                "title": "Admin API version",
                "description": "Shopify API version such as '2025-07'. Keep the default if unsure.",
                "pattern": "^[0-9]{4}-[0-9]{2}$",
                "default": DEFAULT_API_VERSION,
            },
            "location_ids": {
                "type": "array",
                "title": "Shopify locations",
                "description": (
                    "Only these locations: their number from Settings > Locations in the Shopify admin "
                    "(e.g. '71234567890') or their gid://shopify/Location/… id. Empty: every location."
                ),
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
            },
            "channels": {
                "type": "array",
                "title": "Sales channels to read orders from",
                "description": (
                    "Channel handles whose orders count as purchases: 'pos' for the till. Add 'web' to "
                    "also record online orders (they count as prepaid)."
                ),
                "items": {"type": "string", "minLength": 1},
                "default": ["pos"],
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
                "title": "Admin API access token",
                "description": (
                    "The 'shpat_…' token of the store's custom app, with read_locations, read_inventory, "
                    "read_orders, read/write_products, read/write_discounts and write_publications access."
                ),
                "minLength": 1,
            },
            "webhook_secret": {
                "type": "string",
                "title": "Webhook signing secret",
                "description": (
                    "The app's API secret key, which Shopify uses to sign webhooks. Without it, Shopify "
                    "webhooks are refused and the hub relies on polling alone."
                ),
            },
        },
    }
    capabilities = frozenset(Capability)  # every one
    default_poll_interval_seconds = 60

    @classmethod
    def outbound_problems(cls, config: Mapping[str, Any], allowed_hosts: Iterable[str]) -> list[str]:
        """The shop must be a myshopify.com store or an allow-listed host."""
        try:
            shop_host(str(config.get("shop") or ""), allowed_hosts)
        except ValueError as exc:
            return [f"settings/shop: {exc}"]
        return []

    # ---- GraphQL ------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The GraphQL Admin endpoint of this shop and API version."""
        version = self.config.get("api_version") or DEFAULT_API_VERSION
        try:
            host = shop_host(str(self.config.get("shop") or ""), self.allowed_hosts)
        except ValueError as exc:
            raise ConnectorError(ErrorKind.PERMANENT, f"settings/shop: {exc}") from exc
        return f"https://{host}/admin/api/{version}/graphql.json"

    def _graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        headers = {
            "X-Shopify-Access-Token": self.credentials.get("access_token", ""),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        response = request_or_transient(
            self.http, "POST", self.endpoint, headers=headers,
            json={"query": query, "variables": dict(variables or {})}, timeout=self.timeout,
        )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            errors = payload.get("errors") if isinstance(payload, dict) else None
            message = errors if isinstance(errors, str) else None
            if isinstance(errors, list):
                message = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict)) or None
            raise map_http_error(response, ERROR_TABLE, message=message)
        if not isinstance(payload, dict):
            raise ConnectorError(ErrorKind.TRANSIENT, f"Shopify answered HTTP {response.status_code} "
                                 "without JSON", status=response.status_code)
        if payload.get("errors"):
            errors = payload["errors"]
            first = errors[0] if isinstance(errors, list) and errors else {}
            code = (first.get("extensions") or {}).get("code")
            # A GraphQL error in a 200 answer is a rejected query unless the table says otherwise.
            kind = ERROR_TABLE.get(code) if code else None
            if isinstance(errors, list):
                message = "; ".join(str(e.get("message", e)) for e in errors)
            else:
                message = str(errors)
            retry_after = _throttle_delay(payload.get("extensions")) if code == "THROTTLED" else None
            raise ConnectorError(kind or ErrorKind.PERMANENT, message, retry_after=retry_after,
                                 vendor_code=code, status=response.status_code)
        return payload.get("data") or {}

    def _mutate(self, mutation: str, variables: Mapping[str, Any], field: str) -> dict[str, Any]:
        result = self._graphql(mutation, variables).get(field) or {}
        user_errors = result.get("userErrors") or []
        if user_errors:
            parts = []
            for err in user_errors:
                path = ".".join(str(p) for p in err.get("field") or [])
                parts.append(f"{path}: {err.get('message')}" if path else str(err.get("message")))
            code = user_errors[0].get("code") or "USER_ERROR"
            raise ConnectorError(ERROR_TABLE["USER_ERROR"], f"Shopify {field}: " + "; ".join(parts),
                                 vendor_code=code)
        return result

    def _nodes(self, query: str, path: tuple[str, ...], variables: Mapping[str, Any] | None = None
               ) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            data: Any = self._graphql(query, {**(variables or {}), "after": after})
            for key in path:
                data = (data or {}).get(key)
            connection = data or {}
            yield from connection.get("nodes") or []
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            after = page.get("endCursor")

    # ---- status and stock ---------------------------------------------------------------------

    def _locations(self) -> list[dict[str, Any]]:
        locations = list(self._nodes(_LOCATIONS_QUERY, ("locations",)))
        wanted = [location_gid(v) for v in self.config.get("location_ids") or []]
        if not wanted:
            return locations
        known = {loc["id"] for loc in locations}
        missing = [w for w in wanted if w not in known]
        if missing:
            raise ConnectorError(ErrorKind.PERMANENT, "Shopify has no location " + ", ".join(missing)
                                 + " in this shop", vendor_code="NOT_FOUND")
        return [loc for loc in locations if loc["id"] in wanted]

    def test_connection(self) -> None:
        """Read the shop and its locations: proves the token, the domain and the location filter."""
        self._graphql(_SHOP_QUERY)
        self._locations()

    def fetch_status(self) -> list[LocationStatus]:
        """Each location, online while Shopify reports it active."""
        return [LocationStatus(loc["id"], loc.get("name") or loc["id"], bool(loc.get("isActive")))
                for loc in self._locations()]

    def fetch_inventory(self) -> list[InventoryCount]:
        """'available' quantity per active location and inventory item."""
        counts = []
        for loc in self._locations():
            if not loc.get("isActive"):
                continue
            for level in self._nodes(_LEVELS_QUERY, ("location", "inventoryLevels"), {"id": loc["id"]}):
                item = level.get("item") or {}
                sku = item.get("sku") or (item.get("variant") or {}).get("id")
                if not sku:
                    continue  # an inventory item without a variant sells nothing
                available = next((q["quantity"] for q in level.get("quantities") or []
                                  if q.get("name") == "available"), 0)
                counts.append(InventoryCount(loc["id"], sku, int(available)))
        return counts

    # ---- purchases ----------------------------------------------------------------------------

    def _search(self, since: str | None) -> str:
        channels = self.config.get("channels") or ["pos"]
        terms = ["(" + " OR ".join(f"channel:{c}" for c in channels) + ")"]
        if since:
            terms.append(f"updated_at:>='{since}'")
        return " ".join(terms)

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """One page of orders from the configured channels, by updated_at ascending.

        The cursor is JSON: ``since`` (inclusive updated_at bound of this poll), ``newest`` (latest
        updated_at seen) and ``page`` (GraphQL endCursor while the poll has pages left). After the
        last page the next poll starts at ``newest`` minus a short overlap.
        """
        state: dict[str, Any] = {}
        if cursor:
            try:
                state = json.loads(cursor) if cursor.startswith("{") else {"since": cursor}
            except ValueError as exc:
                raise ConnectorError(ErrorKind.PERMANENT, f"unreadable purchase cursor {cursor!r}") from exc
        search = self._search(state.get("since"))
        data = self._graphql(_ORDERS_QUERY, {"after": state.get("page"), "query": search})
        connection = data.get("orders") or {}
        orders = connection.get("nodes") or []
        newest = state.get("newest")
        for order in orders:
            if newest is None or _parse_time(order["updatedAt"]) > _parse_time(newest):
                newest = order["updatedAt"]
        wanted = {location_gid(v) for v in self.config.get("location_ids") or []}
        purchases = [
            self._purchase(order) for order in orders
            if not order.get("cancelledAt")
            and (not wanted or (order.get("retailLocation") or {}).get("id") in wanted)
        ]
        page = connection.get("pageInfo") or {}
        if page.get("hasNextPage"):
            next_state = {"since": state.get("since"), "newest": newest, "page": page.get("endCursor")}
            return PurchasePage(purchases, json.dumps(next_state), has_more=True)
        if newest is None:
            unchanged = json.dumps({"since": state["since"]}) if state.get("since") else None
            return PurchasePage(purchases, unchanged)
        return PurchasePage(purchases, json.dumps({"since": _iso(_parse_time(newest) - _CURSOR_OVERLAP)}))

    @staticmethod
    def _purchase(order: Mapping[str, Any]) -> PurchaseRecord:
        total = (order.get("totalPriceSet") or {}).get("shopMoney") or {"amount": "0", "currencyCode": "USD"}
        currency = total["currencyCode"]
        lines = []
        for li in (order.get("lineItems") or {}).get("nodes") or []:
            unit = (li.get("originalUnitPriceSet") or {}).get("shopMoney") or {"amount": "0"}
            line_total = (li.get("discountedTotalSet") or {}).get("shopMoney") or {"amount": "0"}
            lines.append(PurchaseLineRecord(
                sku=li.get("sku") or (li.get("variant") or {}).get("id") or "",
                quantity=int(li.get("quantity") or 0),
                unit_price=normalize_amount(unit["amount"], currency),
                line_total=normalize_amount(line_total["amount"], currency),
                name=li.get("name"),
            ))
        channel = ((order.get("channelInformation") or {}).get("channelDefinition") or {}).get("handle")
        if order.get("displayFinancialStatus") not in _PAID:
            payment_state = "unpaid"
        elif (channel or order.get("sourceName")) == "pos":
            payment_state = "paid_at_pos"
        else:
            payment_state = "prepaid"  # paid at an online channel before reaching the store
        return PurchaseRecord(
            external_id=order["id"],
            location_external_id=(order.get("retailLocation") or {}).get("id"),
            occurred_at=_parse_time(order.get("processedAt") or order["createdAt"]),
            lines=lines,
            total=normalize_amount(total["amount"], currency),
            currency=currency,
            payment_state=payment_state,
            coupon_codes=list(order.get("discountCodes") or []),
            customer_key=(order.get("customer") or {}).get("id"),
        )

    # ---- catalog ------------------------------------------------------------------------------

    def _variant(self, sku: str) -> dict[str, Any] | None:
        if sku.startswith("gid://shopify/ProductVariant/"):
            query = f"id:{sku.rsplit('/', 1)[1]}"
        else:
            query = "sku:" + json.dumps(sku)
        nodes = self._graphql(_VARIANT_BY_SKU_QUERY, {"query": query}).get("productVariants", {}).get("nodes")
        # The search is fuzzy on some characters: keep exact matches only.
        return next((n for n in nodes or [] if n.get("sku") == sku or n.get("id") == sku), None)

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Create, update, hide (DRAFT) or archive each item's product, matched by sku."""
        if not items:
            return
        context = self._graphql(_PUSH_CONTEXT_QUERY)
        shop_currency = (context.get("shop") or {}).get("currencyCode")
        publication = next((p["id"] for p in (context.get("publications") or {}).get("nodes") or []
                            if p.get("name") == _POS_PUBLICATION), None)
        for item in items:
            variant = self._variant(item.sku)
            if item.removed:
                if variant:
                    self._remove(variant)
                continue
            if item.currency != shop_currency:
                raise ConnectorError(ErrorKind.PERMANENT, f"{item.sku} is priced in {item.currency}, but "
                                     f"this Shopify store sells in {shop_currency}")
            status = "ACTIVE" if item.available else "DRAFT"
            if variant is None:
                self._create(item, status, publication)
                continue
            product = variant["product"]
            self._mutate(_VARIANTS_UPDATE, {"productId": product["id"], "variants": [
                {"id": variant["id"], "price": item.price, "inventoryItem": {"sku": item.sku}}]},
                "productVariantsBulkUpdate")
            if ((product.get("variantsCount") or {}).get("count") or 1) == 1:
                fields: dict[str, Any] = {"id": product["id"], "title": item.name, "status": status}
                if item.description is not None:
                    fields["descriptionHtml"] = item.description
                if item.category:
                    fields["productType"] = item.category
                self._mutate(_PRODUCT_UPDATE, {"product": fields}, "productUpdate")

    def _create(self, item: MenuItemData, status: str, publication: str | None) -> None:
        product: dict[str, Any] = {
            "title": item.name,
            "status": status,
            "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
            "variants": [{"optionValues": [{"optionName": "Title", "name": "Default Title"}],
                          "price": item.price, "sku": item.sku}],
        }
        if item.description is not None:
            product["descriptionHtml"] = item.description
        if item.category:
            product["productType"] = item.category
        created = self._mutate(_PRODUCT_SET, {"input": product}, "productSet")
        product_id = (created.get("product") or {}).get("id")
        if publication and product_id:
            # New products are on no sales channel until published: without this the till never shows them.
            self._mutate(_PUBLISH, {"id": product_id, "input": [{"publicationId": publication}]},
                         "publishablePublish")

    def _remove(self, variant: Mapping[str, Any]) -> None:
        product = variant["product"]
        if ((product.get("variantsCount") or {}).get("count") or 1) > 1:
            self._mutate(_VARIANTS_DELETE, {"productId": product["id"], "variantsIds": [variant["id"]]},
                         "productVariantsBulkDelete")
        elif product.get("status") != "ARCHIVED":
            self._mutate(_PRODUCT_UPDATE, {"product": {"id": product["id"], "status": "ARCHIVED"}},
                         "productUpdate")

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Create or update a basic code discount per coupon; deactivate inactive ones."""
        for coupon in coupons:
            existing = (self._graphql(_DISCOUNT_BY_CODE, {"code": coupon.code})
                        .get("codeDiscountNodeByCode") or {}).get("id")
            if not coupon.active:
                if existing:
                    self._mutate(_DISCOUNT_DEACTIVATE, {"id": existing}, "discountCodeDeactivate")
                continue
            items: dict[str, Any] = {"all": True}
            if coupon.skus:
                variant_ids = [v["id"] for v in (self._variant(s) for s in coupon.skus) if v]
                if not variant_ids:
                    raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code}: none of its skus "
                                         "exist in this Shopify store")
                items = {"products": {"productVariantsToAdd": variant_ids}}
            discount = {
                "title": coupon.name,
                "code": coupon.code,
                "startsAt": _iso(coupon.valid_from or datetime.now(UTC)),
                "endsAt": _iso(coupon.valid_until) if coupon.valid_until else None,
                "context": {"all": "ALL"},
                "customerGets": {"value": self._discount_value(coupon), "items": items},
            }
            if existing:
                self._mutate(_DISCOUNT_UPDATE, {"id": existing, "discount": discount},
                             "discountCodeBasicUpdate")
            else:
                self._mutate(_DISCOUNT_CREATE, {"discount": discount}, "discountCodeBasicCreate")

    def _discount_value(self, coupon: CouponData) -> dict[str, Any]:
        if coupon.discount_type == "percent":
            if coupon.percent_off is None:
                raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} has no percent_off")
            # Shopify wants a fraction: 10 % is 0.1.
            return {"percentage": float(Decimal(coupon.percent_off) / 100)}
        if coupon.amount_off is None:
            raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} has no amount_off")
        if coupon.currency:
            shop_currency = (self._graphql(_SHOP_QUERY).get("shop") or {}).get("currencyCode")
            if coupon.currency != shop_currency:
                raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} is in {coupon.currency}, "
                                     f"but this Shopify store sells in {shop_currency}")
        return {"discountAmount": {"amount": coupon.amount_off, "appliesOnEachItem": False}}

    def import_menu(self) -> list[MenuItemData]:
        """Every variant of every product that is not archived, one hub menu item each."""
        menu = []
        currency = None
        after = None
        while True:
            data = self._graphql(_PRODUCTS_QUERY, {"after": after})
            currency = currency or (data.get("shop") or {}).get("currencyCode")
            connection = data.get("products") or {}
            for product in connection.get("nodes") or []:
                if product.get("status") == "ARCHIVED":
                    continue
                variants = (product.get("variants") or {}).get("nodes") or []
                for variant in variants:
                    name = product.get("title", "")
                    if len(variants) > 1 and variant.get("title") not in (None, "", "Default Title"):
                        name = f"{name} ({variant['title']})"
                    menu.append(MenuItemData(
                        sku=variant.get("sku") or variant["id"],
                        name=name,
                        price=normalize_amount(variant.get("price") or "0", currency or "USD"),
                        currency=currency or "USD",
                        description=product.get("description") or None,
                        category=product.get("productType") or None,
                        available=product.get("status") == "ACTIVE",
                    ))
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return menu
            after = page.get("endCursor")

    # ---- webhooks -----------------------------------------------------------------------------

    def verify_callback(self, headers: Mapping[str, str], body: bytes, url: str) -> bool:
        """Check X-Shopify-Hmac-Sha256 against the app secret."""
        secret = self.credentials.get("webhook_secret")
        given = _header(headers, SIGNATURE_HEADER)
        if not secret or not given:
            return False
        return hmac.compare_digest(signature(secret, body).encode(), given.strip().encode())

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackHint:
        """Any Shopify webhook is a hint to poll now; the event id lets the hub drop redeliveries."""
        event_id = _header(headers, "X-Shopify-Event-Id") or _header(headers, "X-Shopify-Webhook-Id")
        return CallbackHint(event_id=event_id, event_type=_header(headers, "X-Shopify-Topic"), poll_now=True)
