"""Quarantine of vendor records a connector cannot map: kept raw with the reason, replayable after a fix.

A poll stores each unreadable record of a page in the page's own transaction (with its purchases and
the cursor that follows them), so the connection moves on and nothing is lost. Support staff see the
raw record and the reason, replay it through the connector once the connector or the data is fixed
(the purchase is then recorded by the normal path, once), or dismiss it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.connectors import build_connector
from hub.connectors.base import ConnectorError, UnreadableRecord
from hub.crypto import Vault
from hub.db import Database
from hub.models import Connection, QuarantinedRecord, new_id, utcnow
from hub.purchases import record_purchases
from hub.refs import iso

OPEN, REPLAYED, DISMISSED = "open", "replayed", "dismissed"
STATUSES = (OPEN, REPLAYED, DISMISSED)
NOT_FINAL = "not final yet: the POS has not finished this order; replay it again later"
_REASON_CHARS = 2000


class QuarantineError(Exception):
    """A replay or dismissal that cannot be done (the message says why)."""


def quarantine(session: Session, connection: Connection, records: Iterable[UnreadableRecord]) -> None:
    """Store unreadable records, one row per (connection, kind, external id); a record seen again only
    refreshes its raw data, reason and last_seen_at (while open: a dismissed one stays dismissed)."""
    now = utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for record in records:
        stmt = dialect.insert(QuarantinedRecord).values(
            id=new_id("qrn"), hub_id=connection.hub_id, connection_id=connection.id, kind=record.kind,
            external_id=record.external_id, raw=record.raw, reason=record.reason[:_REASON_CHARS],
            status=OPEN, attempts=0, first_seen_at=now, last_seen_at=now,
        )
        still_open = QuarantinedRecord.status == OPEN
        session.execute(stmt.on_conflict_do_update(
            index_elements=["connection_id", "kind", "external_id"],
            set_={"last_seen_at": now,
                  "raw": case((still_open, stmt.excluded.raw), else_=QuarantinedRecord.raw),
                  "reason": case((still_open, stmt.excluded.reason), else_=QuarantinedRecord.reason)},
        ))


def settle_recorded(session: Session, connection: Connection, recorded: dict[str, str]) -> None:
    """Open purchase records that a later poll read after all are resolved: replayed, with that purchase."""
    if not recorded:
        return
    now = utcnow()
    rows = session.scalars(select(QuarantinedRecord).where(
        QuarantinedRecord.connection_id == connection.id, QuarantinedRecord.kind == "purchase",
        QuarantinedRecord.status == OPEN, QuarantinedRecord.external_id.in_(list(recorded))))
    for row in rows:
        row.status, row.purchase_id, row.resolved_at = REPLAYED, recorded[row.external_id], now


def record_view(row: QuarantinedRecord) -> dict[str, Any]:
    """A quarantined record as support staff see it (admin/quarantined_record.json)."""
    return {
        "id": row.id, "connection_id": row.connection_id, "kind": row.kind, "external_id": row.external_id,
        "raw": row.raw, "reason": row.reason, "status": row.status, "attempts": row.attempts,
        "purchase_id": row.purchase_id, "first_seen_at": iso(row.first_seen_at),
        "last_seen_at": iso(row.last_seen_at), "resolved_at": iso(row.resolved_at),
    }


def own_record(session: Session, hub_id: str, record_id: str) -> QuarantinedRecord | None:
    """The hub's quarantined record, or None (another hub's record is as unknown as a missing one)."""
    return session.scalar(select(QuarantinedRecord).where(QuarantinedRecord.id == record_id,
                                                          QuarantinedRecord.hub_id == hub_id))


@dataclass(frozen=True)
class ReplayOutcome:
    """What a replay did: recorded (a new purchase), duplicate (already recorded), not_final or unreadable."""

    outcome: str
    detail: str
    record: dict[str, Any]


def replay(db: Database, vault: Vault, hub_id: str, record_id: str) -> ReplayOutcome | None:
    """Map the raw record again with the connector; on success record the purchase once and mark the record
    replayed, else keep it open with the new reason. None when the hub has no such record."""
    with db.session() as session:
        row = own_record(session, hub_id, record_id)
        if row is None:
            return None
        if row.status == REPLAYED:
            raise QuarantineError(f"{record_id} was already replayed (purchase {row.purchase_id})")
        if row.kind != "purchase":
            raise QuarantineError(f"records of kind {row.kind!r} cannot be replayed")
        try:
            connector = build_connector(session.get(Connection, row.connection_id), vault)
        except Exception as exc:  # noqa: BLE001 - unknown type or undecryptable credentials: fix those first
            raise QuarantineError(f"cannot build the connection's connector: {exc}") from exc
        raw = row.raw
    try:
        purchase = connector.read_purchase(raw)
    except ConnectorError as exc:
        if exc.vendor_code == "unsupported":
            raise QuarantineError(exc.message) from exc
        return _still_open(db, record_id, "unreadable", str(exc))
    except ValueError as exc:
        return _still_open(db, record_id, "unreadable", str(exc))
    if purchase is None:
        return _still_open(db, record_id, "not_final", NOT_FINAL)
    with db.session() as session:
        row = session.get(QuarantinedRecord, record_id)
        connection = session.get(Connection, row.connection_id)
        [result] = record_purchases(session, connection, [purchase], create_locations=True)
        row.status, row.purchase_id, row.resolved_at = REPLAYED, result.purchase_id, utcnow()
        row.attempts += 1
        detail = ("already recorded: the purchase existed, nothing was counted twice" if result.duplicate
                  else "recorded as a new purchase")
        return ReplayOutcome("duplicate" if result.duplicate else "recorded", detail, record_view(row))


def _still_open(db: Database, record_id: str, outcome: str, reason: str) -> ReplayOutcome:
    with db.session() as session:
        session.execute(update(QuarantinedRecord).where(QuarantinedRecord.id == record_id).values(
            attempts=QuarantinedRecord.attempts + 1, reason=reason[:_REASON_CHARS], status=OPEN))
        row = session.get(QuarantinedRecord, record_id)
        session.refresh(row)
        return ReplayOutcome(outcome, reason, record_view(row))


def dismiss(session: Session, hub_id: str, record_id: str) -> QuarantinedRecord | None:
    """Set an open record aside for good (support decided it needs no purchase); None when unknown."""
    row = own_record(session, hub_id, record_id)
    if row is None:
        return None
    if row.status == REPLAYED:
        raise QuarantineError(f"{record_id} was already replayed (purchase {row.purchase_id})")
    if row.status == OPEN:
        row.status, row.resolved_at = DISMISSED, utcnow()
    return row
