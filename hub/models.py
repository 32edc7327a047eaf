"""The hub's tables. Every row below Hub carries hub_id: queries are always scoped by it."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A random public id such as con_3kq9..., not guessable across hubs."""
    return f"{prefix}_{secrets.token_hex(8)}"


class UtcDateTime(TypeDecorator):
    """Timestamps stored as UTC; SQLite loses tzinfo, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None and value.tzinfo is not None and dialect.name == "sqlite":
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class EventPayload(TypeDecorator):
    """An event's payload: JSON stored compact, so a poll can splice the stored text into its answer
    byte for byte what encoding the decoded payload would give (triggers.base.poll_json)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):  # noqa: ANN001, ANN201
        def process(value):  # noqa: ANN001, ANN202
            if value is None:
                return None
            if "id" in value:
                raise ValueError("an event payload must not hold 'id': the item's id is the event's id")
            return _compact_json(value)
        return process


class Base(DeclarativeBase):
    """Declarative base for every table."""


class LeasedWork:
    """The columns the work engine's task kinds lease, retry and sweep by (hub.work.kind.TaskKind)."""

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Hub(Base):
    """One customer account (tenant)."""

    __tablename__ = "hubs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("hub"))
    name: Mapped[str] = mapped_column(String(200))
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)
    offline_window_seconds: Mapped[int] = mapped_column(Integer, default=300)
    # Local times sent without an offset (a coupon's validity) are read in this IANA time zone.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The ISO 4217 currency of a price sent without one.
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    # The Standard Webhooks secret signing action outcome callbacks (made when first needed).
    callback_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Bumped under a row lock by every event insert, so event ids commit in order per hub.
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ApiKey(Base):
    """An API key: only its prefix and a hash of its secret are stored."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("key"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(20))
    connection_id: Mapped[str | None] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Restrictions (hub.keys.restrict_key): source networks (CIDR strings; None = anywhere) and expiry.
    allowed_networks: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The address of the last use, written with last_used_at at most once a minute per process.
    last_used_address: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Connection(Base):
    """One POS system of a hub, with its settings and encrypted credentials."""

    __tablename__ = "connections"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("con"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="unknown")
    last_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    offline_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    offline_window_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    poll_interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    poll_cursor: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When a poll last succeeded (hub_connection_last_poll_age_seconds); None until the first.
    last_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Polling health (hub.connection_health): ok, failing, or needs_attention (support must act).
    health: Mapped[str] = mapped_column(String(20), default="ok", server_default="ok")
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Whose fault the last failure was (configuration, vendor, hub); None while healthy.
    last_fault: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Whether connection_failing was emitted for the current streak (once per streak).
    failing_announced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Location(Base):
    """One physical point of sale reached through a connection."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("loc"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="unknown")
    last_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    offline_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    connection: Mapped[Connection] = relationship()


class MenuItem(Base):
    """A menu item of the canonical catalog; price is a decimal string plus ISO 4217 currency."""

    __tablename__ = "menu_items"
    __table_args__ = (UniqueConstraint("hub_id", "sku"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("itm"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    category: Mapped[str | None] = mapped_column(String(200), nullable=True)
    price_amount: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    modifiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # None: every location of the hub; else the location ids that sell it.
    location_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Coupon(Base):
    """A promotional coupon: percent or fixed discount, a validity window, targets."""

    __tablename__ = "coupons"
    __table_args__ = (UniqueConstraint("hub_id", "code"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cpn"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    discount_type: Mapped[str] = mapped_column(String(10))
    percent_off: Mapped[str | None] = mapped_column(String(16), nullable=True)
    amount_off: Mapped[str | None] = mapped_column(String(32), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    skus: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    location_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class InventoryLevel(Base):
    """Stock of one sku at one location; is_low remembers a crossing so it fires once."""

    __tablename__ = "inventory_levels"
    __table_args__ = (UniqueConstraint("location_id", "sku"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_low: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Purchase(Base):
    """A purchase at a POS, unique per connection and the POS's own id."""

    __tablename__ = "purchases"
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pur"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    location_id: Mapped[str | None] = mapped_column(
        ForeignKey("locations.id", ondelete="SET NULL"), nullable=True
    )
    external_id: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    total_amount: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    payment_state: Mapped[str] = mapped_column(String(20))
    coupon_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    customer_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    lines: Mapped[list[PurchaseLine]] = relationship(
        cascade="all, delete-orphan", order_by="PurchaseLine.position"
    )


class PurchaseLine(Base):
    """One line of a purchase."""

    __tablename__ = "purchase_lines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    purchase_id: Mapped[str] = mapped_column(ForeignKey("purchases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[str] = mapped_column(String(32))
    line_total: Mapped[str] = mapped_column(String(32))


class Event(Base):
    """An immutable record of something that happened; triggers are views over these."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_hub_type_id", "hub_id", "type", "id"),
        Index("ix_events_hub_id_id", "hub_id", "id"),
        Index("ix_events_created_at", "created_at"),  # retention finds old events by it (hub.retention)
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    location_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sku: Mapped[str | None] = mapped_column(String(100), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(EventPayload)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ActionRun(Base):
    """One request to change the outside world, fanned out as deliveries."""

    __tablename__ = "action_runs"
    __table_args__ = (Index("ix_action_runs_created_at", "created_at"),)  # hub.retention
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("run"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    deliveries: Mapped[list[Delivery]] = relationship(order_by="Delivery.connection_id")


class Delivery(LeasedWork, Base):
    """One action run's push to one connection, tracked to success or a dead letter."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dlv"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    action_run_id: Mapped[str] = mapped_column(ForeignKey("action_runs.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    # What to push: {"skus": [...]} or {"coupon_codes": [...]}; the diff is computed when it runs.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ActionCallback(LeasedWork, Base):
    """A run's outcome POSTed to its callback URL once all its deliveries ended (hub.action_callbacks).

    status: waiting (for the run to end), then pending / in_progress / succeeded / dead as leased work.
    """

    __tablename__ = "action_callbacks"
    __table_args__ = (Index("ix_action_callbacks_due", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("acb"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    action_run_id: Mapped[str] = mapped_column(ForeignKey("action_runs.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class AcceptedState(Base):
    """What a connection last accepted for one menu item or coupon (a fingerprint)."""

    __tablename__ = "accepted_states"
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class IdempotencyRecord(Base):
    """The first answer to a POST with an Idempotency-Key, replayed for retries of the same API key."""

    __tablename__ = "idempotency_records"
    # Scoped to the API key, not the hub: two POS keys of one hub may well pick the same key.
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class CallbackEvent(Base):
    """A vendor callback's event id, kept for a while so a redelivered or replayed callback does nothing."""

    __tablename__ = "callback_events"
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class HookSubscription(Base):
    """A REST hook: events of one trigger POSTed to a target URL, signed with its secret."""

    __tablename__ = "hook_subscriptions"
    __table_args__ = (Index("ix_hooks_hub_trigger", "hub_id", "trigger"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("hook"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(40))
    target_url: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HookDelivery(LeasedWork, Base):
    """One event's delivery to one hook subscription, retried then dead-lettered."""

    __tablename__ = "hook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_hook_deliveries_due", "status", "next_attempt_at"),
        # hub.retention: the deliveries of the events it deletes, and old deliveries by age.
        Index("ix_hook_deliveries_event_id", "event_id"),
        Index("ix_hook_deliveries_created_at", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("hdl"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("hook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class EventRetentionMark(Base):
    """The highest event id of a hub that retention deleted: a poll cursor at or below it is told so."""

    __tablename__ = "event_retention_marks"
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True)
    pruned_through: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class QuarantinedRecord(Base):
    """A vendor record a connector could not map: kept raw with the reason until replayed or dismissed.

    Unique per (connection, kind, external_id), so a record seen on every poll is one row; records
    without an id (NULL) are never merged.
    """

    __tablename__ = "quarantined_records"
    __table_args__ = (
        UniqueConstraint("connection_id", "kind", "external_id"),
        Index("ix_quarantined_records_hub_status", "hub_id", "status", "last_seen_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("qrn"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    raw: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | replayed | dismissed
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # replays tried
    purchase_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # once replayed
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Order(Base):
    """An order an ordering channel placed, to be made by one POS (hub.orders).

    Created once per (hub, channel_order_id). ``status`` follows received → sent → accepted |
    rejected → ready → completed | cancelled; every change is an OrderStatusChange and an
    ``order_status_changed`` event. ``stock_held`` says the order's lines are taken off the
    location's stock (released on cancel or rejection; a linked purchase decrements nothing more).
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("hub_id", "channel_order_id"),
        Index("ix_orders_connection_feed", "connection_id", "feed_seq"),
        Index("ix_orders_connection_pos_order", "connection_id", "pos_order_id"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ord"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    channel_order_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="received")
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status_changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # {"type": "prepaid", "amount": "12.50", "currency": "EUR", "reference": "pi_123"}
    # or {"type": "pay_at_pos"}
    payment: Mapped[dict[str, Any]] = mapped_column(JSON)
    total_amount: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    customer_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pickup_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The hub's changes to the order (1 at creation, +1 per update_order), sent with every push.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The POS's own id once it has the order, and what its connector needs to change it later.
    pos_order_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pos_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stock_held: Mapped[bool] = mapped_column(Boolean, default=False)
    # The lines and total of the last version the POS took (a create or update it accepted), restored
    # when it refuses a later update: {"version", "total", "lines": [OrderLine fields]}. None before.
    pos_accepted: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    purchase_id: Mapped[str | None] = mapped_column(
        ForeignKey("purchases.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    # Bumped (per connection, max + 1 under the connection's row lock) whenever a push POS should
    # see the order again: GET /v1/pos/orders pages by it.
    feed_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        cascade="all, delete-orphan", order_by="OrderLine.position"
    )


class OrderLine(Base):
    """One line of an order; prices are decimal strings in the order's currency."""

    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[str] = mapped_column(String(32))
    line_total: Mapped[str] = mapped_column(String(32))
    modifiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class OrderStatusChange(Base):
    """One step of an order's status history, with its time, source and the POS's reason."""

    __tablename__ = "order_status_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(20))  # channel | hub | pos
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class OrderDelivery(LeasedWork, Base):
    """One create, update or cancel of an order sent to its POS, tracked to success or a dead letter."""

    __tablename__ = "order_deliveries"
    __table_args__ = (Index("ix_order_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("odl"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(10))  # create | update | cancel
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # a cancel's reason, sent to the POS
    # The order version this delivery sends (an update sends the version it was made for).
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Operator(Base):
    """A support-console account (support staff), signing in to every hub; argon2id password hash."""

    __tablename__ = "operators"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("opr"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Bumped when the password changes or the account is disabled: older sessions are signed out.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
