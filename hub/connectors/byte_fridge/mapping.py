"""Byte's JSON records, read under the account's field names, as the hub's records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.connectors.base import (
    ConnectorError,
    ErrorKind,
    InventoryCount,
    LocationStatus,
    PurchaseLineRecord,
    PurchaseRecord,
)
from hub.connectors.byte_fridge.fields import get_path
from hub.connectors.common.money import vendor_decimal
from hub.connectors.common.timefmt import parse_rfc3339
from hub.work.failures import Fault


def amount(value: Any, what: str) -> str:
    """A vendor number (JSON number or string) as a decimal string with at least two places."""
    number = vendor_decimal(value, "Byte", what)
    exponent = number.as_tuple().exponent
    return str(number if isinstance(exponent, int) and exponent <= -2 else number.quantize(Decimal("0.01")))


def parse_time(value: Any) -> datetime:
    """ISO 8601 text or Unix seconds/milliseconds as an aware datetime (UTC when no offset)."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        moment = parse_rfc3339(str(value).strip())
    except (ValueError, OverflowError, OSError) as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Byte sent the time {value!r}, not ISO 8601") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _units(value: Any) -> int:
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Byte sent the quantity {value!r}") from exc


class Reader:
    """Reads fridges, stock rows and transactions under the account's field names."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = fields

    def get(self, record: Any, field: str) -> Any:
        """The value of a named field of a record, or None."""
        return get_path(record, self.fields[field])

    def optional_id(self, record: Any, field: str, what: str) -> str | None:
        """An id some records carry, as text; None when absent or empty, or when the field's name is empty."""
        if not self.fields.get(field):
            return None
        value = self.get(record, field)
        if isinstance(value, Mapping | list):
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"a Byte {what}'s {self.fields[field]!r} is not an id; set fields.{field} "
                                 f"in the connection settings to the vendor's name for it",
                                 fault=Fault.CONFIGURATION)
        return None if value is None or str(value) == "" else str(value)

    def required(self, record: Any, field: str, what: str) -> Any:
        """The value of a field the hub cannot do without; its absence is a settings problem."""
        value = self.get(record, field)
        if value is None or value == "":
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"a Byte {what} has no {self.fields[field]!r}; set fields.{field} in the "
                                 f"connection settings to the vendor's name for it",
                                 fault=Fault.CONFIGURATION)
        return value

    def status(self, fridge: Any, online_values: set[str]) -> LocationStatus:
        """A fridge, online when its status is true or one of the online values."""
        fridge_id = str(self.required(fridge, "fridge_id", "fridge"))
        status = self.get(fridge, "fridge_status")
        online = status if isinstance(status, bool) else str(status).lower() in online_values
        return LocationStatus(fridge_id, str(self.get(fridge, "fridge_name") or fridge_id), online)

    def count(self, row: Any, fridge_id: str | None) -> InventoryCount:
        """A stock row; its fridge is the one asked for when the row does not name one."""
        location = self.get(row, "inventory_fridge_id") or fridge_id
        if location is None:
            location = self.required(row, "inventory_fridge_id", "stock row")
        units = _units(self.required(row, "inventory_quantity", "stock row"))
        return InventoryCount(str(location), str(self.required(row, "inventory_sku", "stock row")), units)

    def purchase(self, row: Any, default_currency: str | None,
                 payment_states: Mapping[str, str]) -> PurchaseRecord:
        """A transaction; its total is the sum of its lines when it states none."""
        external_id = str(self.required(row, "transaction_id", "transaction"))
        occurred_at = parse_time(self.required(row, "transaction_time", "transaction"))
        items = self.get(row, "transaction_items") or []
        if not isinstance(items, list):
            field = self.fields["transaction_items"]
            raise ConnectorError(ErrorKind.PERMANENT, f"a Byte transaction's {field!r} is not a list")
        lines = [self.line(item) for item in items]
        total = self.get(row, "transaction_total")
        currency = self.get(row, "transaction_currency") or default_currency
        if not currency:
            raise ConnectorError(ErrorKind.PERMANENT, "a Byte transaction has no currency; set "
                                                      "fields.transaction_currency or default_currency "
                                                      "in the connection settings")
        payment = str(self.get(row, "transaction_payment") or "").lower()
        states = {k.lower(): v for k, v in payment_states.items()}
        coupons = self.get(row, "transaction_coupons") or []
        customer = self.get(row, "transaction_customer")
        fridge = self.get(row, "transaction_fridge_id")
        return PurchaseRecord(
            external_id=external_id,
            location_external_id=str(fridge) if fridge not in (None, "") else None,
            occurred_at=occurred_at,
            lines=lines,
            total=amount(total, "a total") if total is not None
            else amount(sum((Decimal(line.line_total) for line in lines), Decimal(0)), "a total"),
            currency=str(currency).upper(),
            payment_state=states.get(payment, "paid_at_pos"),
            coupon_codes=[coupons] if isinstance(coupons, str) else [str(c) for c in coupons],
            customer_key=str(customer) if customer not in (None, "") else None,
            # A collected reservation names the order it settles (hub.orders.links links it).
            order_id=self.optional_id(row, "transaction_reservation", "transaction"),
        )

    def line(self, item: Any) -> PurchaseLineRecord:
        """An item bought; a missing unit price or line total is worked out from the other."""
        quantity_value = self.get(item, "item_quantity")
        quantity = _units(1 if quantity_value is None else quantity_value)
        unit = self.get(item, "item_unit_price")
        line_total = self.get(item, "item_line_total")
        if unit is None and line_total is None:
            self.required(item, "item_unit_price", "transaction item")
        if unit is None:
            unit = (Decimal(amount(line_total, "a line total")) / (quantity or 1)).quantize(Decimal("0.01"))
        unit_price = amount(unit, "a unit price")
        name = self.get(item, "item_name")
        return PurchaseLineRecord(
            sku=str(self.required(item, "item_sku", "transaction item")),
            quantity=quantity,
            unit_price=unit_price,
            line_total=amount(line_total if line_total is not None else Decimal(unit_price) * quantity,
                              "a line total"),
            name=str(name) if name is not None else None,
        )
