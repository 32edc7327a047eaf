"""Choosing the locations a connection's settings name among those the vendor lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.connectors.base import ConnectorError, ErrorKind
from hub.work.failures import Fault


def pick_locations(locations: list[dict[str, Any]], wanted: Sequence[str],
                   missing_text: str) -> list[dict[str, Any]]:
    """The wanted locations by "id" (every one when none is named).

    Naming one the vendor does not list is a permanent error, the configuration's fault: ``missing_text``
    with ``{ids}``.
    """
    if not wanted:
        return locations
    known = {loc["id"] for loc in locations}
    missing = [lid for lid in wanted if lid not in known]
    if missing:
        raise ConnectorError(ErrorKind.PERMANENT, missing_text.format(ids=", ".join(missing)),
                             vendor_code="NOT_FOUND", fault=Fault.CONFIGURATION)
    return [loc for loc in locations if loc["id"] in wanted]
