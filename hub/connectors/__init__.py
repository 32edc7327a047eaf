"""POS connectors: one module per POS type, registered in CONNECTORS below."""

from __future__ import annotations

from hub.connectors.base import Connector
from hub.connectors.push import PushConnector
from hub.connectors.sandbox import SandboxConnector

# The explicit list of POS types; add a connector here to make it available.
CONNECTORS: list[type[Connector]] = [
    SandboxConnector,
    PushConnector,
]


def connector_class(type_name: str) -> type[Connector] | None:
    """The connector class for a type name, or None when unknown."""
    for cls in CONNECTORS:
        if cls.type == type_name:
            return cls
    return None
