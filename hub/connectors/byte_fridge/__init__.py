"""Byte Technology smart fridges through a configurable REST adapter.

Byte publishes no public API: each account's integration names its own endpoint paths and
field names. Every path and field is a setting with a default (in schemas/connectors/byte_fridge.json),
and fields accept dotted paths (``price.amount``) for nested values, both when reading and when writing.

Modules: ``client`` (HTTP and list pages), ``errors`` (the error table), ``fields`` (defaults and
dotted paths), ``mapping`` (records to hub records), ``orders`` (orders as reservations at the account's
reservation endpoint, when it has one), ``connector``.
"""

from hub.connectors.byte_fridge.connector import ByteFridgeConnector

__all__ = ["ByteFridgeConnector"]
