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
  some skus); an inactive coupon is deactivated. Code discounts apply at every location, so a coupon
  limited to locations, or naming a sku the store lacks, fails rather than grant something else.
* New products are published to the Point of Sale channel, found by its catalog title (Publication.name
  is deprecated); a store without that channel for the app fails the push before creating anything.
* Shopify takes no idempotency key on these mutations; pushes look items up by sku and coupons by
  code first, so a retried push updates what the first attempt created.
* Purchases are polled by ``updated_at`` ascending, inclusive with a short overlap, so an order can
  be reported more than once: the hub deduplicates by external id. Only final orders (closed, or
  fulfilled) are purchases; an open one comes back through the cursor when its update makes it final.
  An order the hub cannot map is set aside (``PurchasePage.unreadable``) and the poll moves on.

Modules: ``client`` (the store's address and GraphQL calls), ``errors`` (the error table), ``queries``
(GraphQL documents), ``mapping`` (Shopify objects to hub records), ``push`` (mutation inputs),
``webhooks``, ``connector``.
"""

from hub.connectors.shopify.connector import ShopifyConnector

__all__ = ["ShopifyConnector"]
