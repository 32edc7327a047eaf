"""The canonical catalog: upserting menu items and coupons, and what each connection should have.

A connection "should have" the catalog filtered to its locations. Deliveries compare that
desired state, as fingerprints, with what the connection last accepted (AcceptedState), so
only what changed for that POS is pushed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, any_, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from hub.connectors.base import CouponData, MenuItemData
from hub.models import AcceptedState, Connection, Coupon, Location, MenuItem, utcnow
from hub.refs import iso

ITEM = "item"
COUPON = "coupon"


# ---------- writing the catalog ----------

_ITEM_FIELDS = ("name", "description", "category", "modifiers", "available", "image_url", "location_ids")


def items_by_sku(session: Session, hub_id: str, skus: list[str]) -> dict[str, MenuItem]:
    """The hub's menu items (deleted ones included) for these skus, in one query."""
    if not skus:
        return {}
    rows = session.scalars(select(MenuItem).where(MenuItem.hub_id == hub_id, MenuItem.sku.in_(skus)))
    return {row.sku: row for row in rows}


def upsert_menu_items(session: Session, hub_id: str, changes: list[dict[str, Any]],
                      remove_skus: list[str]) -> None:
    """Apply validated item changes (only the fields sent change) and soft-delete remove_skus.

    A new sku must come with name and price (the action checks that before calling).
    """
    existing = items_by_sku(session, hub_id, [c["sku"] for c in changes] + list(remove_skus))
    now = utcnow()
    for change in changes:
        item = existing.get(change["sku"])
        if item is None:
            item = MenuItem(hub_id=hub_id, sku=change["sku"], modifiers=[], available=True)
            session.add(item)
            existing[item.sku] = item
        before = _item_state(item)
        for name in _ITEM_FIELDS:
            if name in change:
                setattr(item, name, change[name])
        if "price" in change:
            item.price_amount = change["price"]["amount"]
            item.currency = change["price"]["currency"]
        if item.deleted_at is not None:
            item.deleted_at = None
        if _item_state(item) != before:
            item.updated_at = now
    for sku in remove_skus:
        item = existing.get(sku)
        if item is not None and item.deleted_at is None:
            item.deleted_at = now
            item.updated_at = now
    session.flush()


def _item_state(item: MenuItem) -> tuple[Any, ...]:
    return (*(getattr(item, name) for name in _ITEM_FIELDS), item.price_amount, item.currency,
            item.deleted_at)


def upsert_coupon(session: Session, hub_id: str, change: dict[str, Any]) -> Coupon:
    """Create or update the coupon of change["code"]; fields left out keep their value."""
    coupon = session.scalar(select(Coupon).where(Coupon.hub_id == hub_id, Coupon.code == change["code"]))
    if coupon is None:
        coupon = Coupon(hub_id=hub_id, code=change["code"], name=change.get("name") or change["code"],
                        active=True)
        session.add(coupon)
    before = _coupon_state(coupon)
    coupon.discount_type = change["discount_type"]
    if "name" in change:
        coupon.name = change["name"]
    if coupon.discount_type == "percent":
        coupon.percent_off = change.get("percent_off", coupon.percent_off)
        coupon.amount_off = coupon.currency = None
    else:
        if "amount_off" in change:
            coupon.amount_off = change["amount_off"]["amount"]
            coupon.currency = change["amount_off"]["currency"]
        coupon.percent_off = None
    for name in ("valid_from", "valid_until"):
        if name in change:
            setattr(coupon, name, parse_time(change[name]))
    for name in ("skus", "location_ids", "active"):
        if name in change:
            setattr(coupon, name, change[name])
    if _coupon_state(coupon) != before:
        coupon.updated_at = utcnow()
    session.flush()
    return coupon


def _coupon_state(coupon: Coupon) -> tuple[Any, ...]:
    return (coupon.name, coupon.discount_type, coupon.percent_off, coupon.amount_off, coupon.currency,
            coupon.valid_from, coupon.valid_until, coupon.skus, coupon.location_ids, coupon.active)


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp (already validated by the schema) as an aware datetime."""
    if value is None:
        return None
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?", re.ASCII)


def local_time_in_utc(value: Any, zone: str) -> Any:
    """A date and time without offset (as n8n's date picker sends it) read in the IANA zone, as RFC 3339 UTC;
    any other value unchanged (the schema then judges it)."""
    if not isinstance(value, str) or not _LOCAL_TIME.fullmatch(value):
        return value
    try:
        local = datetime.fromisoformat(value.upper()).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        return value
    return local.astimezone(UTC).isoformat().replace("+00:00", "Z")


def with_currency(money: Any, currency: str) -> Any:
    """An amount sent without currency, in this currency; anything else unchanged."""
    if isinstance(money, dict) and "currency" not in money:
        return {**money, "currency": currency}
    return money


def empty_as_null(body: Any, names: tuple[str, ...]) -> Any:
    """The body with these fields' empty strings as null (clear), for forms that cannot send null."""
    if not isinstance(body, dict):
        return body
    return {k: None if k in names and isinstance(v, str) and not v.strip() else v for k, v in body.items()}


# ---------- public shapes ----------

def menu_item_payload(item: MenuItem) -> dict[str, Any]:
    """A menu item as schemas/common/menu_item.json."""
    return {
        "id": item.id, "sku": item.sku, "name": item.name, "description": item.description,
        "category": item.category, "price": {"amount": item.price_amount, "currency": item.currency},
        "modifiers": list(item.modifiers or []), "available": item.available, "image_url": item.image_url,
        "location_ids": item.location_ids, "updated_at": iso(item.updated_at),
    }


def coupon_payload(coupon: Coupon) -> dict[str, Any]:
    """A coupon as schemas/common/coupon.json."""
    amount_off = ({"amount": coupon.amount_off, "currency": coupon.currency}
                  if coupon.amount_off is not None else None)
    return {
        "id": coupon.id, "code": coupon.code, "name": coupon.name, "discount_type": coupon.discount_type,
        "percent_off": coupon.percent_off, "amount_off": amount_off, "valid_from": iso(coupon.valid_from),
        "valid_until": iso(coupon.valid_until), "skus": coupon.skus, "location_ids": coupon.location_ids,
        "active": coupon.active, "updated_at": iso(coupon.updated_at),
    }


# ---------- what a connection should have ----------

@dataclass(frozen=True)
class ConnectionScope:
    """A connection's locations: hub id -> the POS's external id."""

    connection_id: str
    external_ids: dict[str, str]

    def targets(self, location_ids: list[str] | None) -> tuple[bool, list[str] | None]:
        """Whether something limited to location_ids reaches this connection, and its external ids."""
        if location_ids is None:
            return True, None
        mine = sorted(self.external_ids[loc] for loc in location_ids if loc in self.external_ids)
        return bool(mine), mine

    def visible_location_ids(self, location_ids: list[str] | None) -> list[str] | None:
        """location_ids narrowed to this connection's locations (None stays None: everywhere)."""
        if location_ids is None:
            return None
        return [loc for loc in location_ids if loc in self.external_ids]


def connection_scope(session: Session, connection: Connection) -> ConnectionScope:
    """The connection's locations (one query)."""
    rows = session.execute(select(Location.id, Location.external_id)
                           .where(Location.connection_id == connection.id))
    return ConnectionScope(connection.id, {loc_id: ext for loc_id, ext in rows})


def _removal(sku: str, item: MenuItem | None) -> MenuItemData:
    return MenuItemData(sku=sku, name=item.name if item else sku, price=item.price_amount if item else "0",
                        currency=item.currency if item else "", removed=True)


def item_data(item: MenuItem, scope: ConnectionScope) -> MenuItemData | None:
    """The item as this connection should have it; None when it should not have it."""
    reaches, external_ids = scope.targets(item.location_ids)
    if item.deleted_at is not None or not reaches:
        return None
    return MenuItemData(
        sku=item.sku, name=item.name, price=item.price_amount, currency=item.currency,
        description=item.description, category=item.category, modifiers=list(item.modifiers or []),
        available=item.available, image_url=item.image_url, location_external_ids=external_ids,
    )


def coupon_data(coupon: Coupon, scope: ConnectionScope) -> CouponData:
    """The coupon as this connection should have it; switched off where it no longer applies."""
    reaches, external_ids = scope.targets(coupon.location_ids)
    return CouponData(
        code=coupon.code, name=coupon.name, discount_type=coupon.discount_type,
        percent_off=coupon.percent_off, amount_off=coupon.amount_off, currency=coupon.currency,
        valid_from=coupon.valid_from, valid_until=coupon.valid_until, skus=coupon.skus,
        location_external_ids=external_ids if reaches else None, active=coupon.active and reaches,
    )


def fingerprint(data: MenuItemData | CouponData) -> str:
    """A SHA-256 of the canonical JSON of what is pushed: equal fingerprints, nothing to push."""
    # The dataclass's fields as a flat dict: the JSON of dataclasses.asdict, without its deep copies.
    names = _FIELD_NAMES.get(type(data))
    if names is None:
        names = _FIELD_NAMES[type(data)] = [f.name for f in fields(data)]
    canonical = json.dumps({name: getattr(data, name) for name in names}, sort_keys=True,
                           separators=(",", ":"), default=_canonical)
    return hashlib.sha256(canonical.encode()).hexdigest()


_FIELD_NAMES: dict[type, list[str]] = {}
# Fingerprints of menu items by everything they are computed from: shared by the deliveries of a
# run (and of later runs) to every connection that should have the same item, in this process.
_ITEM_PRINTS: dict[tuple[Any, ...], str] = {}
_ITEM_PRINTS_MAX = 100_000


def item_fingerprint(data: MenuItemData) -> str:
    """fingerprint(data), computed once per distinct item content in this process."""
    key = (data.sku, data.name, str(data.price), data.currency, data.description, data.category,
           repr(data.modifiers), data.available, data.image_url,
           None if data.location_external_ids is None else tuple(data.location_external_ids), data.removed)
    print_ = _ITEM_PRINTS.get(key)
    if print_ is None:
        if len(_ITEM_PRINTS) >= _ITEM_PRINTS_MAX:
            _ITEM_PRINTS.clear()
        print_ = _ITEM_PRINTS[key] = fingerprint(data)
    return print_


def _canonical(value: Any) -> str:
    # The same instant must print the same whatever zone the database driver hands back.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


@dataclass
class Diff:
    """What must be pushed to one connection, and the fingerprints to record once it is accepted."""

    kind: str
    records: list[Any]
    # key -> new fingerprint; None means "the POS no longer has it" (its accepted state is dropped).
    fingerprints: dict[str, str | None]

    def digest(self) -> str:
        """A short hash of the content pushed, for the POS idempotency key."""
        joined = ",".join(f"{k}={v}" for k, v in sorted(self.fingerprints.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def one_of(session: Session, column: Any, values: list[str]) -> ColumnElement[bool]:
    """column IN values; on PostgreSQL as `= ANY(array)`, one short query text whatever the number
    of values (psycopg parses a query of 500 placeholders anew each time)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(values)


def accepted(session: Session, connection_id: str, kind: str, keys: list[str]) -> dict[str, str]:
    """What the connection last accepted for these keys (one query)."""
    if not keys:
        return {}
    rows = session.execute(select(AcceptedState.key, AcceptedState.fingerprint).where(
        AcceptedState.connection_id == connection_id, AcceptedState.kind == kind,
        one_of(session, AcceptedState.key, keys)))
    return dict(rows.all())


# The columns a delivery reads (as plain rows: no ORM objects for 500 items per delivery).
_ITEM_COLUMNS = (MenuItem.sku, MenuItem.name, MenuItem.price_amount, MenuItem.currency, MenuItem.description,
                 MenuItem.category, MenuItem.modifiers, MenuItem.available, MenuItem.image_url,
                 MenuItem.location_ids, MenuItem.deleted_at, MenuItem.updated_at)
# In this process: (hub id, sku) -> the item's row as last read, and (hub id, sku, updated_at, the
# connection's view of its locations) -> what that connection should have and its fingerprint. Both
# are checked against updated_at, which upsert_menu_items moves on every change of an item.
_ROWS: dict[tuple[str, str], Any] = {}
_DESIRED: dict[tuple[Any, ...], tuple[MenuItemData | None, str | None]] = {}
_CACHE_MAX = 100_000


def _item_rows(session: Session, hub_id: str, skus: list[str]) -> dict[str, Any]:
    """The items of these skus (deleted ones included): their versions in one query, and the rows
    of those changed since this process last read them in one more."""
    if not skus:
        return {}
    versions = session.execute(select(MenuItem.sku, MenuItem.updated_at).where(
        MenuItem.hub_id == hub_id, one_of(session, MenuItem.sku, skus))).all()
    stale = [sku for sku, at in versions
             if at is None or getattr(_ROWS.get((hub_id, sku)), "updated_at", None) != at]
    fresh = {}
    if stale:
        if len(_ROWS) >= _CACHE_MAX:
            _ROWS.clear()
        for row in session.execute(select(*_ITEM_COLUMNS).where(MenuItem.hub_id == hub_id,
                                                                one_of(session, MenuItem.sku, stale))):
            _ROWS[(hub_id, row.sku)] = fresh[row.sku] = row
    return {sku: fresh.get(sku) or _ROWS[(hub_id, sku)] for sku, _ in versions}


def _desired(hub_id: str, item: Any, scope: ConnectionScope) -> tuple[MenuItemData | None, str | None]:
    """What the connection should have of the item (None: nothing) and its fingerprint, computed once
    per item version and view of its locations (connections with the same view share it)."""
    reaches, external_ids = scope.targets(item.location_ids)
    key = (hub_id, item.sku, item.updated_at, reaches, None if external_ids is None else tuple(external_ids))
    found = _DESIRED.get(key) if item.updated_at is not None else None
    if found is None:
        data = item_data(item, scope)
        found = (data, None if data is None else item_fingerprint(data))
        if len(_DESIRED) >= _CACHE_MAX:
            _DESIRED.clear()
        _DESIRED[key] = found
    return found


def menu_diff(session: Session, connection: Connection, skus: list[str]) -> Diff:
    """The items among skus whose desired state differs from what the connection accepted.

    A bounded number of queries whatever the number of skus: the connection's locations, the items'
    versions (and the rows of changed ones), the accepted fingerprints.
    """
    scope = connection_scope(session, connection)
    items = _item_rows(session, connection.hub_id, skus)
    known = accepted(session, connection.id, ITEM, skus)
    diff = Diff(ITEM, [], {})
    for sku in sorted(set(skus)):
        item = items.get(sku)
        data, print_ = _desired(connection.hub_id, item, scope) if item is not None else (None, None)
        if data is None:
            if sku in known:
                diff.records.append(_removal(sku, item))
                diff.fingerprints[sku] = None
            continue
        if known.get(sku) != print_:
            diff.records.append(data)
            diff.fingerprints[sku] = print_
    return diff


def coupon_diff(session: Session, connection: Connection, codes: list[str]) -> Diff:
    """The coupons among codes whose desired state differs from what the connection accepted."""
    scope = connection_scope(session, connection)
    coupons = session.scalars(select(Coupon).where(Coupon.hub_id == connection.hub_id,
                                                   Coupon.code.in_(codes)))
    known = accepted(session, connection.id, COUPON, codes)
    diff = Diff(COUPON, [], {})
    for coupon in sorted(coupons, key=lambda c: c.code):
        data = coupon_data(coupon, scope)
        if not data.active and coupon.code not in known:
            continue  # never had it, nothing to switch off
        print_ = fingerprint(data)
        if known.get(coupon.code) != print_:
            diff.records.append(data)
            diff.fingerprints[coupon.code] = print_
    return diff


# One upsert of all of a diff's fingerprints, its SQL the same whatever their number: the keys and
# fingerprints travel as two arrays (PostgreSQL) or one JSON object (SQLite).
_UPSERT_TAIL = ("ON CONFLICT (connection_id, kind, key) DO UPDATE "
                "SET fingerprint = excluded.fingerprint, accepted_at = excluded.accepted_at")
_UPSERT = {
    "postgresql": text(
        "INSERT INTO accepted_states (connection_id, kind, key, fingerprint, accepted_at) "
        "SELECT :connection_id, :kind, t.key, t.fingerprint, :accepted_at "
        "FROM unnest(CAST(:keys AS text[]), CAST(:prints AS text[])) AS t(key, fingerprint) " + _UPSERT_TAIL),
    # SQLite needs the WHERE to read ON CONFLICT as the upsert clause after INSERT ... SELECT.
    "sqlite": text(
        "INSERT INTO accepted_states (connection_id, kind, key, fingerprint, accepted_at) "
        "SELECT :connection_id, :kind, j.key, j.value, :accepted_at FROM json_each(:prints) AS j "
        "WHERE true " + _UPSERT_TAIL),
}


def record_accepted(session: Session, connection_id: str, diff: Diff) -> None:
    """Remember what the connection accepted: upsert fingerprints, drop removed items (a statement each)."""
    gone = [key for key, value in diff.fingerprints.items() if value is None]
    if gone:
        session.execute(delete(AcceptedState).where(
            AcceptedState.connection_id == connection_id, AcceptedState.kind == diff.kind,
            AcceptedState.key.in_(gone)))
    prints = {key: value for key, value in diff.fingerprints.items() if value is not None}
    if not prints:
        return
    dialect = session.get_bind().dialect.name
    stmt = _UPSERT[dialect].bindparams(bindparam("accepted_at", type_=AcceptedState.accepted_at.type))
    params: dict[str, Any] = {"connection_id": connection_id, "kind": diff.kind, "accepted_at": utcnow()}
    if dialect == "postgresql":
        params.update(keys=list(prints), prints=list(prints.values()))
    else:
        params["prints"] = json.dumps(prints)
    session.execute(stmt, params)


# ---------- the catalog a POS fetches ----------

def menu_for_connection(session: Session, connection: Connection) -> list[dict[str, Any]]:
    """The live menu items for the connection's locations, by sku, as common/menu_item.json."""
    scope = connection_scope(session, connection)
    rows = session.scalars(select(MenuItem).where(MenuItem.hub_id == connection.hub_id,
                                                  MenuItem.deleted_at.is_(None)).order_by(MenuItem.sku))
    out = []
    for item in rows:
        reaches, _ = scope.targets(item.location_ids)
        if reaches:
            out.append({**menu_item_payload(item),
                        "location_ids": scope.visible_location_ids(item.location_ids)})
    return out


def coupons_for_connection(session: Session, connection: Connection) -> list[dict[str, Any]]:
    """The coupons for the connection's locations, by code, as common/coupon.json."""
    scope = connection_scope(session, connection)
    rows = session.scalars(select(Coupon).where(Coupon.hub_id == connection.hub_id).order_by(Coupon.code))
    out = []
    for coupon in rows:
        reaches, _ = scope.targets(coupon.location_ids)
        if reaches:
            out.append({**coupon_payload(coupon),
                        "location_ids": scope.visible_location_ids(coupon.location_ids)})
    return out


# ---------- checks the actions share ----------

def unknown_location_errors(session: Session, hub_id: str, location_ids: list[str] | None,
                            path: str) -> list[dict[str, str]]:
    """422 errors for location ids that are not the hub's."""
    if not location_ids:
        return []
    known = set(session.scalars(select(Location.id).where(Location.hub_id == hub_id,
                                                          Location.id.in_(location_ids))))
    return [{"path": f"{path}/{i}", "message": f"There is no location {loc!r} in this hub; pick one from the "
             "list of locations (GET /v1/locations)."}
            for i, loc in enumerate(location_ids) if loc not in known]


def catalog_currencies(session: Session, hub_id: str, excluding_skus: list[str] = ()) -> set[str]:
    """The currencies of the live menu items (other than excluding_skus)."""
    query = (select(MenuItem.currency).distinct()
             .where(MenuItem.hub_id == hub_id, MenuItem.deleted_at.is_(None)))
    if excluding_skus:
        query = query.where(MenuItem.sku.not_in(list(excluding_skus)))
    return set(session.scalars(query))
