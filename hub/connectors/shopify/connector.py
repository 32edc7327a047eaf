"""The Shopify connector: the hub's connector interface over the GraphQL Admin API (see the package notes)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
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
from hub.connectors.shopify import mapping, orders, push, queries, webhooks
from hub.connectors.shopify.client import ShopifyClient, shop_host
from hub.connectors.shopify.errors import order_refused
from hub.work.failures import Fault

# Orders read by id in one ``nodes`` query.
_ORDERS_PER_QUERY = 50


class ShopifyConnector(Connector):
    """Shopify POS, through Shopify's GraphQL Admin API."""

    type = "shopify"
    title = "Shopify POS"
    description = (
        "Shopify POS stores. The hub polls Shopify for location status, available stock and POS "
        "orders, pushes menu items and discount codes into the Shopify admin, and accepts Shopify "
        "webhooks as a signal to poll early."
    )
    schema_file = "connectors/shopify.json"
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

    @property
    def endpoint(self) -> str:
        """The GraphQL Admin endpoint of this shop and API version."""
        version = self.config.get("api_version") or self.default("api_version")
        try:
            host = shop_host(str(self.config.get("shop") or ""), self.allowed_hosts)
        except ValueError as exc:
            raise ConnectorError(ErrorKind.PERMANENT, f"settings/shop: {exc}",
                                 fault=Fault.CONFIGURATION) from exc
        return f"https://{host}/admin/api/{version}/graphql.json"

    @functools.cached_property
    def api(self) -> ShopifyClient:
        """The store's Admin API with this connection's token."""
        return ShopifyClient(self.http, self.endpoint, self.credentials.get("access_token", ""), self.timeout)

    # ---- status and stock ---------------------------------------------------------------------

    def _locations(self) -> list[dict[str, Any]]:
        return pick_locations(list(self.api.nodes(queries.LOCATIONS, ("locations",))),
                              [mapping.location_gid(v) for v in self.config.get("location_ids") or []],
                              "Shopify has no location {ids} in this shop")

    def test_connection(self) -> None:
        """Read the shop and its locations: proves the token, the domain and the location filter."""
        self.api.graphql(queries.SHOP)
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
            for level in self.api.nodes(queries.LEVELS, ("location", "inventoryLevels"), {"id": loc["id"]}):
                count = mapping.inventory_count(loc["id"], level)
                if count is not None:
                    counts.append(count)
        return counts

    # ---- purchases ----------------------------------------------------------------------------

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """One page of orders from the configured channels, by updated_at ascending (see common.cursor)."""
        state = UpdatedSince.read(cursor)
        search = mapping.orders_search(self.config.get("channels") or self.default("channels"), state.since)
        data = self.api.graphql(queries.ORDERS, {"after": state.page, "query": search})
        connection = data.get("orders") or {}
        orders = [o for o in connection.get("nodes") or [] if isinstance(o, dict)]
        state.saw(order.get("updatedAt") for order in orders)
        wanted = {mapping.location_gid(v) for v in self.config.get("location_ids") or []}
        purchases, unreadable = [], []
        for order in orders:
            # An order still open comes back through the cursor when it is updated to its final state.
            elsewhere = wanted and (order.get("retailLocation") or {}).get("id") not in wanted
            if elsewhere or not mapping.is_final(order):
                continue
            try:
                purchases.append(mapping.read_purchase(order))
            except ValueError as exc:
                unreadable.append(UnreadableRecord("purchase", order.get("id"), order, str(exc)))
        page = connection.get("pageInfo") or {}
        result = state.page_of(purchases, page.get("endCursor") if page.get("hasNextPage") else None,
                               timespec="seconds")
        result.unreadable = unreadable
        return result

    def read_purchase(self, raw: Any) -> PurchaseRecord | None:
        """A set-aside order read again; None while it is not final (or cancelled: never a purchase)."""
        if isinstance(raw, Mapping) and not mapping.is_final(raw):
            return None
        return mapping.read_purchase(raw)

    # ---- catalog ------------------------------------------------------------------------------

    def _variant(self, sku: str) -> dict[str, Any] | None:
        if sku.startswith("gid://shopify/ProductVariant/"):
            query = f"id:{sku.rsplit('/', 1)[1]}"
        else:
            query = "sku:" + json.dumps(sku)
        found = self.api.graphql(queries.VARIANT_BY_SKU, {"query": query})
        nodes = found.get("productVariants", {}).get("nodes")
        # The search is fuzzy on some characters: keep exact matches only.
        return next((n for n in nodes or [] if n.get("sku") == sku or n.get("id") == sku), None)

    def _shop_currency(self, context: Mapping[str, Any] | None = None) -> str | None:
        shop = (context if context is not None else self.api.graphql(queries.SHOP)).get("shop") or {}
        return shop.get("currencyCode")

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Create, update, hide (DRAFT) or archive each item's product, matched by sku."""
        if not items:
            return
        context = self.api.graphql(queries.PUSH_CONTEXT)
        shop_currency = self._shop_currency(context)
        publication = push.pos_publication((context.get("publications") or {}).get("nodes") or [])
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
            self.api.mutate(queries.VARIANTS_UPDATE, {"productId": product["id"], "variants": [
                {"id": variant["id"], "price": item.price, "inventoryItem": {"sku": item.sku}}]},
                "productVariantsBulkUpdate")
            if not push.several_variants(product):
                fields = push.product_update(product["id"], item, status)
                self.api.mutate(queries.PRODUCT_UPDATE, {"product": fields}, "productUpdate")

    def _create(self, item: MenuItemData, status: str, publication: str | None) -> None:
        # New products are on no sales channel until published: without the channel the till never shows them,
        # so nothing is created that a delivery would report done.
        if publication is None:
            raise ConnectorError(ErrorKind.PERMANENT, push.NO_POS_CHANNEL.format(sku=item.sku),
                                 fault=Fault.CONFIGURATION)
        product = push.new_product(item, status)
        created = self.api.mutate(queries.PRODUCT_SET, {"input": product}, "productSet")
        product_id = (created.get("product") or {}).get("id")
        if not product_id:
            raise ConnectorError(ErrorKind.TRANSIENT, f"Shopify's productSet for {item.sku} answered without "
                                 "a product and without userErrors")
        self.api.mutate(queries.PUBLISH, {"id": product_id, "input": [{"publicationId": publication}]},
                        "publishablePublish")

    def _remove(self, variant: Mapping[str, Any]) -> None:
        product = variant["product"]
        if push.several_variants(product):
            self.api.mutate(queries.VARIANTS_DELETE,
                            {"productId": product["id"], "variantsIds": [variant["id"]]},
                            "productVariantsBulkDelete")
        elif product.get("status") != "ARCHIVED":
            self.api.mutate(queries.PRODUCT_UPDATE, {"product": {"id": product["id"], "status": "ARCHIVED"}},
                            "productUpdate")

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Create or update a basic code discount per coupon; deactivate inactive ones."""
        for coupon in coupons:
            if coupon.active and coupon.location_external_ids:
                # A code discount is valid at every location: pushing it would grant more than was asked.
                raise ConnectorError(ErrorKind.PERMANENT, push.LOCATIONS_UNSUPPORTED.format(code=coupon.code))
        for coupon in coupons:
            existing = (self.api.graphql(queries.DISCOUNT_BY_CODE, {"code": coupon.code})
                        .get("codeDiscountNodeByCode") or {}).get("id")
            if not coupon.active:
                if existing:
                    self.api.mutate(queries.DISCOUNT_DEACTIVATE, {"id": existing}, "discountCodeDeactivate")
                continue
            items: dict[str, Any] = {"all": True}
            if coupon.skus:
                variants = {sku: self._variant(sku) for sku in coupon.skus}
                missing = [sku for sku, variant in variants.items() if variant is None]
                if missing:
                    # A discount on some of the skus is not the coupon that was asked for.
                    raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code}: no variant with sku "
                                         f"{', '.join(missing)} in this Shopify store")
                items = {"products": {"productVariantsToAdd": [v["id"] for v in variants.values() if v]}}
            discount = push.discount_input(coupon, self._discount_value(coupon), items, datetime.now(UTC))
            if existing:
                self.api.mutate(queries.DISCOUNT_UPDATE, {"id": existing, "discount": discount},
                                "discountCodeBasicUpdate")
            else:
                self.api.mutate(queries.DISCOUNT_CREATE, {"discount": discount}, "discountCodeBasicCreate")

    def _discount_value(self, coupon: CouponData) -> dict[str, Any]:
        value = push.discount_value(coupon)
        if coupon.discount_type != "percent" and coupon.currency:
            shop_currency = self._shop_currency()
            if coupon.currency != shop_currency:
                raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} is in {coupon.currency}, "
                                     f"but this Shopify store sells in {shop_currency}")
        return value

    def import_menu(self) -> list[MenuItemData]:
        """Every variant of every product that is not archived, one hub menu item each."""
        menu = []
        currency = None
        for data, connection in self.api.pages(queries.PRODUCTS, ("products",)):
            currency = currency or self._shop_currency(data)
            for product in connection.get("nodes") or []:
                menu += mapping.menu_items(product, currency or "USD")
        return menu

    # ---- orders (see orders) -------------------------------------------------------------------

    def _order_mutation(self, mutation: str, variables: Mapping[str, Any], field: str,
                        errors_field: str = "userErrors") -> dict[str, Any]:
        """The mutation's result; its userErrors are Shopify refusing the order (OrderRefused)."""
        result = self.api.graphql(mutation, variables).get(field) or {}
        if result.get(errors_field):
            raise order_refused(field, result[errors_field])
        return result

    def _order_variants(self, order: OrderData) -> dict[str, str]:
        """The variant id of each sku of the order; OrderRefused when the store has none."""
        variants = {}
        for sku in dict.fromkeys(line.sku for line in order.lines):
            variant = self._variant(sku)
            if variant is None:
                raise OrderRefused(f"this Shopify store has no variant with sku {sku}",
                                   vendor_code="NOT_FOUND")
            variants[sku] = variant["id"]
        return variants

    def _shopify_order(self, ref: OrderRef) -> dict[str, Any]:
        if not ref.pos_order_id:
            raise OrderRefused("the order never reached Shopify", vendor_code="NOT_FOUND")
        nodes = self.api.graphql(queries.ORDER_STATUSES, {"ids": [ref.pos_order_id]}).get("nodes") or []
        found = next((n for n in nodes if isinstance(n, dict) and n.get("id") == ref.pos_order_id), None)
        if found is None:
            raise OrderRefused(f"Shopify has no order {ref.pos_order_id}", vendor_code="NOT_FOUND")
        return found

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """orderCreate for POS pickup: payment pending for pay-at-POS, a paid SALE for prepaid (orders)."""
        found = self.api.graphql(queries.ORDER_BY_TAG, {"query": f"tag:'{orders.tag(order.order_id)}'"})
        existing = ((found.get("orders") or {}).get("nodes") or [None])[0]
        if existing:
            return orders.placement(existing)  # a retry: the first attempt made it
        data = orders.create_input(order, self._order_variants(order))
        variables = {"order": data, "options": orders.CREATE_OPTIONS}
        created = self._order_mutation(queries.ORDER_CREATE, variables, "orderCreate")
        if not created.get("order"):
            raise ConnectorError(ErrorKind.TRANSIENT, "Shopify's orderCreate answered without an order and "
                                 "without userErrors", fault=Fault.VENDOR)
        return orders.placement(created["order"])

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """Order edits (begin, set quantities, add variants, commit) while the store has not started."""
        refusal = orders.update_refusal(self._shopify_order(ref))
        if refusal:
            raise OrderRefused(refusal, vendor_code="ORDER_STARTED")
        variants = self._order_variants(order)
        wanted: dict[str, int] = {}
        for line in order.lines:
            wanted[variants[line.sku]] = wanted.get(variants[line.sku], 0) + line.quantity
        begun = self._order_mutation(queries.ORDER_EDIT_BEGIN, {"id": ref.pos_order_id}, "orderEditBegin")
        calculated = begun.get("calculatedOrder") or {}
        changes, additions = orders.quantity_changes(
            (calculated.get("lineItems") or {}).get("nodes") or [], wanted)
        for line_id, quantity in changes:
            self._order_mutation(queries.ORDER_EDIT_SET_QUANTITY,
                                 {"id": calculated["id"], "lineItemId": line_id, "quantity": quantity},
                                 "orderEditSetQuantity")
        for variant_id, quantity in additions:
            self._order_mutation(queries.ORDER_EDIT_ADD_VARIANT,
                                 {"id": calculated["id"], "variantId": variant_id, "quantity": quantity},
                                 "orderEditAddVariant")
        committed = self._order_mutation(queries.ORDER_EDIT_COMMIT, {
            "id": calculated["id"], "staffNote": f"changed by the ordering channel (v{order.version})"},
            "orderEditCommit")
        return orders.placement(committed.get("order") or {"id": ref.pos_order_id})

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """orderCancel (restocked, no refund: the channel that took the money refunds it)."""
        current = self._shopify_order(ref)
        status, _ = orders.status_of(current)
        if status in ("cancelled", "rejected"):
            return orders.placement(current)
        if status == "completed":
            raise OrderRefused("the order is already completed in Shopify", vendor_code="ORDER_COMPLETED")
        variables = {"orderId": current["id"], "reason": "CUSTOMER",
                     "staffNote": reason or "cancelled by the ordering channel"}
        self._order_mutation(queries.ORDER_CANCEL, variables, "orderCancel",
                             errors_field="orderCancelUserErrors")
        # Shopify cancels in a background job: the order is cancelled from the hub's side now, and
        # polling reads Shopify's cancelledAt when the job is done.
        return OrderPlacement(pos_order_id=current["id"], status="cancelled", reason=reason,
                              pos_state={"order_id": current["id"]})

    def fetch_order_statuses(self, refs: list[OrderRef]) -> list[OrderStatusReport]:
        """The orders by id (``nodes``, fifty at a time); each status by orders.status_of."""
        ids = list(dict.fromkeys(r.pos_order_id for r in refs if r.pos_order_id))
        reports = []
        for start in range(0, len(ids), _ORDERS_PER_QUERY):
            chunk = ids[start:start + _ORDERS_PER_QUERY]
            nodes = self.api.graphql(queries.ORDER_STATUSES, {"ids": chunk}).get("nodes") or []
            reports += [orders.report(n) for n in nodes if isinstance(n, dict) and n.get("id")]
        return reports

    # ---- webhooks -----------------------------------------------------------------------------

    def verify_callback(self, headers: Mapping[str, str], body: bytes, url: str) -> bool:
        """Check X-Shopify-Hmac-Sha256 against the app secret."""
        return webhooks.verify(self.credentials.get("webhook_secret"), headers, body)

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackHint:
        """Any Shopify webhook is a hint to poll now; order webhooks also carry the order's status."""
        return webhooks.hint(headers, body)
