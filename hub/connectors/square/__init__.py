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

Modules: ``client`` (HTTP), ``errors`` (the error table), ``catalog`` (the item library index),
``mapping`` (Square objects to hub records), ``push`` (upsert bodies), ``webhooks``, ``connector``.
"""

from hub.connectors.square.connector import SquareConnector

__all__ = ["SquareConnector"]
