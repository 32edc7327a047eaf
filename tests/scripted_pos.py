"""A POS whose behaviour is its settings: `answer` scripts what its purchase polls do, `fixed` whether a
quarantined record can be read again. Changing the settings (as support staff would) changes the POS."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

import hub.connectors
from hub.admin import add_connection
from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    ErrorKind,
    PurchaseLineRecord,
    PurchasePage,
    PurchaseRecord,
    UnreadableRecord,
)
from hub.models import Connection, utcnow
from hub.polling import claim_due, poll_connection
from hub.runtime import Runtime

REVOKED = ConnectorError(ErrorKind.PERMANENT, "HTTP 401: The access token has been revoked.", status=401)
VENDOR_DOWN = ConnectorError(ErrorKind.TRANSIENT, "HTTP 503: Service Unavailable", status=503)
VENDOR_REJECTS = ConnectorError(ErrorKind.PERMANENT, "HTTP 400: cursor is not valid", status=400)
FAILURES = {"revoked": REVOKED, "vendor_down": VENDOR_DOWN, "vendor_rejects": VENDOR_REJECTS}

# An order the POS reports without the time the hub needs: unreadable until the connector is fixed.
BAD_ORDER = {"id": "ORD-BAD", "state": "COMPLETED", "location": "store-1", "total": "9.00",
             "lines": [{"sku": "WRAP-FALAFEL", "quantity": 1, "price": "9.00"}]}


def order(external_id: str, total: str = "6.50") -> PurchaseRecord:
    """A readable, final purchase at store-1."""
    return PurchaseRecord(external_id=external_id, location_external_id="store-1",
                          occurred_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                          lines=[PurchaseLineRecord("SAL-CAESAR", 1, total, total)], total=total,
                          currency="EUR")


class ScriptedPOS(Connector):
    """Purchases polled per config["answer"]: ok, revoked (401), vendor_down (503), vendor_rejects (400),
    or unreadable (a page holding ORD-1 and the unreadable ORD-BAD, then nothing)."""

    type = "scripted_pos"
    title = "Scripted test POS"
    capabilities = frozenset({Capability.PURCHASES})
    settings_schema: dict[str, Any] = {"type": "object"}

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """The page the settings script."""
        answer = self.config.get("answer", "ok")
        if answer in FAILURES:
            raise FAILURES[answer]
        if answer == "unreadable" and cursor is None:
            reason = "order ORD-BAD has no updated_at"
            return PurchasePage([order("ORD-1")], "page-2",
                                unreadable=[UnreadableRecord("purchase", "ORD-BAD", BAD_ORDER, reason)])
        if answer == "reads_bad_order":  # the vendor fixed its data: the order now comes as a purchase
            return PurchasePage([order("ORD-BAD", "9.00")], "page-3")
        return PurchasePage([], cursor or "page-2")

    def read_purchase(self, raw: Any) -> PurchaseRecord | None:
        """The order once the connector is `fixed`; None while the POS says it is open."""
        if raw.get("state") == "OPEN":
            return None
        if not self.config.get("fixed"):
            raise ValueError("order has no updated_at (still)")
        return order(raw["id"], raw["total"])


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """The scripted POS is a known connector type inside the block."""
    before = hub.connectors.CONNECTORS
    hub.connectors.CONNECTORS = [*before, ScriptedPOS]
    try:
        yield
    finally:
        hub.connectors.CONNECTORS = before


def add_scripted(rt: Runtime, hub_id: str, **config: Any) -> str:
    """A scripted connection of this hub (inside `registered()`); its id."""
    with rt.db.session() as s:
        return add_connection(s, rt.vault, hub_id, ScriptedPOS.type, "Scripted kiosks", config).id


def poll(rt: Runtime, connection_id: str) -> None:
    """Run one poll of this connection now, as the scheduler would (claim, then the job)."""
    with rt.db.session() as s:
        s.execute(update(Connection).where(Connection.id == connection_id)
                  .values(next_poll_at=utcnow() - timedelta(seconds=1), claimed_until=None))
    [claim] = claim_due(rt.db, connection_id=connection_id)
    poll_connection(*claim)


def streak_started(rt: Runtime, connection_id: str, ago: timedelta) -> None:
    """Move the start of the connection's failing streak into the past (time passing between polls)."""
    with rt.db.session() as s:
        s.execute(update(Connection).where(Connection.id == connection_id)
                  .values(failing_since=utcnow() - ago))
