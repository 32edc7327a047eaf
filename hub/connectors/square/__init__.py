"""Square POS connector: Square's REST API v2 for status, stock, orders and catalog, plus its webhooks.

Conventions, so support staff can predict what the hub does in Square:

* The hub sku of a Square item variation is the variation's ``sku``, or its catalog object id when
  the variation has no sku (Square does not require one). Inventory, purchases, imports and
  pushes all use that same rule.
* A hub menu item is one Square ITEM_VARIATION (new items get one ITEM with one variation). The
  variations of one item pushed together travel in one ITEM object; an item with several
  variations keeps its Square name (the hub's "Item (Variation)" names the variation).
  ``available: false`` takes the variation off every till (present at no location): Square's
  ``sold_out`` is read-only and ignores writes. ``removed`` deletes it.
* Every batch upsert is checked against Square's answer: a field Square did not keep fails the
  delivery for good ("not applied"), never "succeeded".
* A coupon for every item and always valid is a manual DISCOUNT named by its code, which staff
  apply at the till. A coupon restricted to skus or to a validity window is a DISCOUNT with a
  PRODUCT_SET and a PRICING_RULE valid in the locations' local time: Square then applies it by
  itself to the matching items within the window. What Square cannot restrict (unknown skus,
  locations in several time zones) fails as "cannot be applied". Inactive or expired coupons
  are hidden from every location.
* Purchases are COMPLETED orders, polled with SearchOrders (ten locations at a time), oldest
  update first. An OPEN order is recorded when it completes (its updated_at brings it back);
  a CANCELED one never. The cursor is inclusive and overlaps by a couple of minutes (Square's
  search index is eventually consistent), so an order can be reported more than once: the hub
  deduplicates by external id. An order the hub cannot read is set aside (``unreadable``).
* A listing that repeats a cursor or runs past MAX_PAGES pages stops with an error.

Modules: ``client`` (HTTP), ``errors`` (the error table), ``catalog`` (the item library index),
``mapping`` (Square objects to hub records), ``push`` (upsert bodies), ``coupons`` (coupon objects),
``verify`` (was the upsert kept), ``webhooks``, ``connector``.
"""

from hub.connectors.square.connector import SquareConnector

__all__ = ["SquareConnector"]
