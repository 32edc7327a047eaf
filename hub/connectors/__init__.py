"""POS connectors, registered in CONNECTORS below.

One package per vendor (client, errors, mapping, push, webhooks, connector), one module for the small
ones (sandbox, push); what several share is in ``common``. Each type's settings and credentials
schemas are in schemas/connectors/<type>.json, named by the class's ``schema_file``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.connectors.base import Connector, Unsupported
from hub.connectors.byte_fridge import ByteFridgeConnector
from hub.connectors.push import PushConnector
from hub.connectors.sandbox import SandboxConnector
from hub.connectors.shopify import ShopifyConnector
from hub.connectors.simphony import SimphonyConnector
from hub.connectors.square import SquareConnector

if TYPE_CHECKING:
    from hub.crypto import Vault
    from hub.models import Connection

# The explicit list of POS types; add a connector here to make it available.
CONNECTORS: list[type[Connector]] = [
    SandboxConnector,
    PushConnector,
    SquareConnector,
    ShopifyConnector,
    SimphonyConnector,
    ByteFridgeConnector,
]


def build_connector(connection: Connection, vault: Vault) -> Connector:
    """A connector for a stored connection, with its credentials decrypted, under the outbound policy."""
    from hub.runtime import get_runtime

    cls = connector_class(connection.type)
    if cls is None:
        raise Unsupported(f"unknown connection type {connection.type!r}")
    return cls(connection.config or {}, vault.decrypt_json(connection.credentials_encrypted) or {},
               allowed_hosts=get_runtime().settings.outbound_allowed_hosts)


def connector_class(type_name: str) -> type[Connector] | None:
    """The connector class for a type name, or None when unknown."""
    for cls in CONNECTORS:
        if cls.type == type_name:
            return cls
    return None
