"""The one interface every POS connector implements, and the hub's error kinds.

A connector is built from a connection's settings (``config``) and decrypted
``credentials``. It talks to its vendor and returns the plain records below; it
never touches the database. Vendor errors are turned into ``ConnectorError``
with one of three kinds, through one table per connector (see ``map_http_error``);
the job engine decides retries from the kind alone.
"""

from __future__ import annotations

import copy
import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import requests

from hub import schemas
from hub.outbound.client import OutboundSession
from hub.outbound.failures import OutboundFailure, describe, refusal
from hub.outbound.policy import OutboundRefused, check_url
from hub.outbound.redact import redact, secret_values
from hub.work.failures import ErrorKind, Fault, default_fault, parse_retry_after


class ConnectorError(Exception):
    """A vendor failure, already classified."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retry_after: float | None = None,
        vendor_code: str | None = None,
        status: int | None = None,
        fault: Fault | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.vendor_code = vendor_code
        self.status = status
        self.fault = fault or default_fault(kind, status)

    def __str__(self) -> str:
        code = f" [{self.vendor_code}]" if self.vendor_code else ""
        return f"{self.kind.value}{code}: {self.message}"


class Unsupported(ConnectorError):
    """The POS cannot do this; permanent, with the reason shown to support staff."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorKind.PERMANENT, message, vendor_code="unsupported")


class OrderRefused(ConnectorError):
    """The POS refused the order (unknown item, closed location, out of stock): the order is rejected
    with this reason, never retried."""

    def __init__(self, reason: str, *, vendor_code: str | None = None, status: int | None = None) -> None:
        super().__init__(ErrorKind.PERMANENT, reason, vendor_code=vendor_code or "order_refused",
                         status=status, fault=Fault.VENDOR)
        self.reason = reason


class Capability(enum.StrEnum):
    """What a connector can do."""

    TEST = "test_connection"
    STATUS = "fetch_status"
    INVENTORY = "fetch_inventory"
    PURCHASES = "fetch_purchases"
    PUSH_MENU = "push_menu"
    PUSH_COUPONS = "push_coupons"
    IMPORT_MENU = "import_menu"
    ORDERS = "place_orders"
    CALLBACKS = "callbacks"


@dataclass
class LocationStatus:
    """One location as the POS reports it."""

    external_id: str
    name: str
    online: bool


@dataclass
class InventoryCount:
    """An absolute stock count of one sku at one location."""

    location_external_id: str
    sku: str
    quantity: int


@dataclass
class PurchaseLineRecord:
    """One line of a purchase; prices are decimal strings."""

    sku: str
    quantity: int
    unit_price: str
    line_total: str
    name: str | None = None


@dataclass
class PurchaseRecord:
    """A purchase as read from a POS."""

    external_id: str
    location_external_id: str | None
    occurred_at: datetime
    lines: list[PurchaseLineRecord]
    total: str
    currency: str
    payment_state: str = "paid_at_pos"  # prepaid | paid_at_pos | unpaid
    coupon_codes: list[str] = field(default_factory=list)
    customer_key: str | None = None
    # The order it settles, when the POS names it (the hub's order id or the channel's order id).
    order_id: str | None = None


@dataclass
class UnreadableRecord:
    """A vendor record the connector could not map: kept raw with the reason, so polling moves on.

    The hub quarantines it (visible to support staff) and can replay it through
    ``Connector.read_purchase`` once the connector or the data is fixed.
    """

    kind: str  # "purchase"
    external_id: str | None
    raw: Any  # the vendor's record as received (JSON-able)
    reason: str


@dataclass
class PurchasePage:
    """Purchases since a cursor, and the cursor to save once they are committed.

    Only final purchases are returned (an order still open at the POS is left for a later poll),
    so each purchase is recorded once, from its final version, and stock is decremented once.
    """

    purchases: list[PurchaseRecord]
    next_cursor: str | None
    has_more: bool = False
    unreadable: list[UnreadableRecord] = field(default_factory=list)


@dataclass
class MenuItemData:
    """A menu item as pushed to or imported from a POS.

    ``location_external_ids`` of None means every location of the connection.
    ``removed`` asks the POS to delete (or hide) the item.
    """

    sku: str
    name: str
    price: str
    currency: str
    description: str | None = None
    category: str | None = None
    modifiers: list[dict[str, Any]] = field(default_factory=list)
    available: bool = True
    image_url: str | None = None
    location_external_ids: list[str] | None = None
    removed: bool = False


@dataclass
class CouponData:
    """A coupon as pushed to a POS; amounts are decimal strings."""

    code: str
    name: str
    discount_type: str  # percent | fixed
    percent_off: str | None = None
    amount_off: str | None = None
    currency: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    skus: list[str] | None = None
    location_external_ids: list[str] | None = None
    active: bool = True


@dataclass
class OrderLineData:
    """One line of an order sent to a POS; prices are decimal strings in the order's currency."""

    sku: str
    quantity: int
    unit_price: str
    line_total: str
    name: str | None = None
    # [{"name": "Size", "option": "Large", "price": "0.50"}]: what the customer chose.
    modifiers: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None


@dataclass
class OrderData:
    """An order as the hub asks a POS to make it (create, update or cancel).

    ``version`` counts the hub's changes (1 when created), so a push of the same version is the
    same request. ``payment_type`` is ``prepaid`` (paid at the channel: ``payment_amount`` and
    ``payment_reference`` say how much and the channel's reference) or ``pay_at_pos``.
    """

    order_id: str
    channel_order_id: str
    location_external_id: str | None
    lines: list[OrderLineData]
    total: str
    currency: str
    payment_type: str  # prepaid | pay_at_pos
    version: int = 1
    payment_amount: str | None = None
    payment_reference: str | None = None
    channel: str | None = None
    customer_key: str | None = None
    pickup_at: datetime | None = None
    note: str | None = None


@dataclass
class OrderPlacement:
    """What a POS answered to a create, update or cancel.

    ``status`` is the order status it leaves the order in: ``sent`` (the POS has it, no decision
    yet), ``accepted``, ``ready``, ``completed`` or ``cancelled``. A refusal is raised as
    ``OrderRefused``, not returned. ``pos_state`` is what the connector needs to change the order
    later (a version, a check number); the hub stores it and hands it back unread.
    """

    pos_order_id: str | None
    status: str
    reason: str | None = None
    pos_state: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderRef:
    """An order the hub sent to this POS and still follows: its POS id and the connector's state."""

    order_id: str
    pos_order_id: str | None
    pos_state: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderStatusReport:
    """An order's status as the POS reports it (poll, callback or push).

    ``status``: sent, accepted, rejected, ready, completed or cancelled; ``reason`` is the POS's
    words for a rejection or cancellation. ``pos_state`` replaces the stored one when given.
    """

    pos_order_id: str
    status: str
    reason: str | None = None
    occurred_at: datetime | None = None
    pos_state: dict[str, Any] | None = None


@dataclass
class CallbackHint:
    """What a verified vendor callback says: an early poll is due, maybe with records."""

    event_id: str | None = None
    event_type: str | None = None
    purchases: list[PurchaseRecord] = field(default_factory=list)
    inventory: list[InventoryCount] = field(default_factory=list)
    order_statuses: list[OrderStatusReport] = field(default_factory=list)
    poll_now: bool = True


# The methods that call the vendor: one per capability (callbacks are verified locally).
VENDOR_CALLS = (*(c.value for c in Capability if c not in (Capability.CALLBACKS, Capability.ORDERS)),
                "create_order", "update_order", "cancel_order", "fetch_order_statuses")


def _redacting(method: Callable[..., Any]) -> Callable[..., Any]:
    """The method, with the connector's credentials removed from the message of a ConnectorError it raises."""

    @functools.wraps(method)
    def call(self: Connector, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except ConnectorError as exc:
            exc.message = redact(exc.message, secret_values(self.credentials))
            exc.args = (exc.message,)
            raise

    return call


# What a connector without a schema file accepts: empty settings and no credentials.
_NOTHING: dict[str, Any] = {"type": "object", "additionalProperties": False}


class SchemaPart:
    """A class attribute holding one part ("settings" or "credentials") of the connector's schema file.

    The contract lives in schemas/connectors/<type>.json, beside every other contract; the class only
    names the file. A subclass may still assign a dict (test doubles do), which hides this attribute.
    """

    def __init__(self, part: str) -> None:
        self.part = part

    def __get__(self, instance: object, owner: type[Connector]) -> dict[str, Any]:
        if owner.schema_file is None:
            return copy.deepcopy(_NOTHING)
        return copy.deepcopy(_schema_file_part(owner.schema_file, self.part))


@functools.cache
def _schema_file_part(path: str, part: str) -> dict[str, Any]:
    # Read once: setting() looks defaults up on every call; what is handed out is a copy.
    return schemas.schema(path)["properties"][part]


class Connector:
    """Base class: one subclass per POS type, registered in hub.connectors.CONNECTORS."""

    type: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    # The schema file of its settings and credentials, under schemas/: "connectors/<type>.json".
    schema_file: ClassVar[str | None] = None
    settings_schema: ClassVar[dict[str, Any]] = SchemaPart("settings")  # type: ignore[assignment]
    credentials_schema: ClassVar[dict[str, Any]] = SchemaPart("credentials")  # type: ignore[assignment]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    simulated: ClassVar[bool] = False
    # Settings holding URLs the hub will call: checked by the outbound policy when a connection is added,
    # and again on every call by the connector's OutboundSession.
    outbound_url_settings: ClassVar[tuple[str, ...]] = ()
    # How often the scheduler polls it by default; None: never polled (it pushes to us).
    default_poll_interval_seconds: ClassVar[int | None] = 60

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.config = dict(config)
        self.credentials = dict(credentials)
        self.allowed_hosts = tuple(allowed_hosts)
        self.http = session or OutboundSession(self.allowed_hosts)
        self.timeout = timeout

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every vendor call of every connector hands out errors without credentials (see _redacting).
        for name in VENDOR_CALLS:
            if name in cls.__dict__:
                setattr(cls, name, _redacting(cls.__dict__[name]))

    @classmethod
    def outbound_problems(cls, config: Mapping[str, Any], allowed_hosts: Iterable[str]) -> list[str]:
        """Why the hub may not call the URLs in these settings ('settings/<name>: reason' lines)."""
        problems = []
        for name in cls.outbound_url_settings:
            value = config.get(name)
            if not isinstance(value, str) or not value:
                continue
            try:
                check_url(value, allowed_hosts)
            except OutboundRefused as exc:
                problems.append(f"settings/{name}: {refusal(exc)}")
        return problems

    @classmethod
    def default(cls, name: str) -> Any:
        """The default a setting's schema states, or None."""
        schema = _schema_file_part(cls.schema_file, "settings") if cls.schema_file else cls.settings_schema
        return copy.deepcopy(schema.get("properties", {}).get(name, {}).get("default"))

    def setting(self, name: str) -> Any:
        """The connection's value of a setting, or the default its schema states when it has none."""
        return self.config[name] if name in self.config else self.default(name)

    def _unsupported(self, what: str) -> Unsupported:
        return Unsupported(f"{self.title} connections cannot {what}")

    def test_connection(self) -> None:
        """Raise ConnectorError unless the POS answers with these credentials."""
        raise self._unsupported("be tested")

    def fetch_status(self) -> list[LocationStatus]:
        """Online/offline per location."""
        raise self._unsupported("report their status")

    def fetch_inventory(self) -> list[InventoryCount]:
        """Absolute stock counts per location and sku."""
        raise self._unsupported("report inventory")

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """Purchases after the cursor (None: from the start of what the POS keeps)."""
        raise self._unsupported("report purchases")

    def read_purchase(self, raw: Any) -> PurchaseRecord | None:
        """Map one raw vendor record again (quarantine replay); None when it is not final yet.

        Raises ValueError (or ConnectorError) with the reason when it still cannot be read.
        """
        raise self._unsupported("replay quarantined records")

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Create, update or remove these menu items at the POS."""
        raise self._unsupported("receive menu changes")

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Create or update these coupons at the POS."""
        raise self._unsupported("receive coupons")

    def import_menu(self) -> list[MenuItemData]:
        """The POS's own menu, for accounts where the POS is the master of product data."""
        raise self._unsupported("export their menu")

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """Make the order at the POS; raises OrderRefused when the POS says no."""
        raise self._unsupported("take orders")

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """Change a sent order's lines to these; OrderRefused when the POS has started it or says no."""
        raise self._unsupported("change orders")

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """Cancel a sent order; OrderRefused when the POS will not (e.g. already completed)."""
        raise self._unsupported("cancel orders")

    def fetch_order_statuses(self, orders: list[OrderRef]) -> list[OrderStatusReport]:
        """The POS's current status of these orders (those it no longer knows are left out)."""
        raise self._unsupported("report order statuses")

    def verify_callback(self, headers: Mapping[str, str], body: bytes, url: str) -> bool:
        """True when the callback carries a valid vendor signature (constant-time compare)."""
        return False

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackHint:
        """What a verified callback says."""
        return CallbackHint()

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The connector's public description: type, title, capabilities, and its schema file's two parts."""
        return {
            "type": cls.type,
            "title": cls.title,
            "description": cls.description,
            "simulated": cls.simulated,
            "capabilities": sorted(c.value for c in cls.capabilities),
            "settings_schema": cls.settings_schema,
            "credentials_schema": cls.credentials_schema,
        }


ErrorTable = Mapping[int | str, ErrorKind]


def map_http_error(
    response: requests.Response,
    table: ErrorTable,
    *,
    vendor_code: str | None = None,
    message: str | None = None,
) -> ConnectorError:
    """Classify a failed vendor response through the connector's table.

    The table maps a vendor error code (checked first) or an HTTP status to a kind;
    anything not listed is transient for 5xx and permanent otherwise.
    """
    status = response.status_code
    kind = table.get(vendor_code) if vendor_code else None
    if kind is None:
        kind = table.get(status)
    if kind is None:
        kind = ErrorKind.TRANSIENT if status >= 500 else ErrorKind.PERMANENT
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    text = message or (response.text[:500] if response.text else response.reason or "")
    return ConnectorError(kind, f"HTTP {status}: {text}", retry_after=retry_after,
                          vendor_code=vendor_code, status=status)


# Requests that no retry can fix; other failures without an answer are network trouble, worth a retry.
_MALFORMED_REQUESTS = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                       requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader)


def transport_error(exc: requests.RequestException) -> ConnectorError:
    """A call that got no usable answer: refusals of the outbound client and malformed requests are
    permanent, network failures and timeouts transient; the message holds no URL, header or body."""
    permanent = (isinstance(exc, OutboundFailure) and exc.permanent) or isinstance(exc, _MALFORMED_REQUESTS)
    return ConnectorError(ErrorKind.PERMANENT if permanent else ErrorKind.TRANSIENT, describe(exc))


def request_or_transient(
    session: requests.Session, method: str, url: str, **kwargs: Any
) -> requests.Response:
    """Send a request; a failure without an HTTP answer becomes a ConnectorError (see transport_error)."""
    try:
        return session.request(method, url, **kwargs)
    except requests.RequestException as exc:
        raise transport_error(exc) from exc
