"""Simphony's configuration records and checks as the hub's records: menu items and purchases."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from lxml import etree

from hub.connectors.base import ConnectorError, ErrorKind, MenuItemData, PurchaseLineRecord, PurchaseRecord
from hub.connectors.common.money import vendor_decimal
from hub.connectors.common.skipped import ImportedMenu, SkippedItem
from hub.connectors.simphony.embedded import child, children, text


def number(value: Any, what: str) -> Decimal:
    """A number Simphony sent; an absent or blank one is 0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    return vendor_decimal(value, "Simphony", what)


def _sequence(record: etree._Element) -> int:
    try:
        return int(text(record, "SequenceNum") or 0)
    except ValueError:
        return 0


def menu_items(definitions: list[etree._Element], prices: list[etree._Element], currency: str,
               rvc: int) -> ImportedMenu:
    """One menu item per menu item master that has a priced definition, its sku the master number.

    Definitions left out are reported in ``skipped`` with the reason, so an import is never silently empty.
    """
    price_of: dict[str, etree._Element] = {}
    for price in sorted(prices, key=_sequence):
        if text(price, "Price"):
            price_of.setdefault(text(price, "MenuItemDefID") or "", price)
    # A master can have several definitions (menu levels); the lowest sequence is the main one.
    chosen: dict[str, etree._Element] = {}
    unpriced: dict[str, etree._Element] = {}
    skipped: list[SkippedItem] = []
    for definition in sorted(definitions, key=_sequence):
        master = text(definition, "MiMasterObjNum")
        if not master:
            skipped.append(_without_master(definition))
        elif text(definition, "MenuItemDefID") in price_of:
            chosen.setdefault(master, definition)
        else:
            unpriced.setdefault(master, definition)
    skipped += [SkippedItem(master, f"menu item {master} ({_name(definition, master)}) has no price in "
                                    f"revenue center {rvc}")
                for master, definition in unpriced.items() if master not in chosen]
    items = []
    for master, definition in chosen.items():
        price = price_of[text(definition, "MenuItemDefID") or ""]
        items.append(MenuItemData(
            sku=master,
            name=_name(definition, master),
            price=str(number(text(price, "Price"), "a menu item price")),
            currency=currency,
            available=(text(definition, "OutOfMenuItem") or "false").lower() != "true",
        ))
    return ImportedMenu(items, skipped)


def _name(definition: etree._Element, master: str | None) -> str:
    return text(definition, "Name1", "StringText") or f"Menu item {master}"


def _without_master(definition: etree._Element) -> SkippedItem:
    # Checks name a menu item by its master's object number; without it no sale could be matched to the item.
    def_id = text(definition, "MenuItemDefID") or "?"
    name = text(definition, "Name1", "StringText") or "no name"
    reason = f"menu item definition {def_id} ({name}) has no MiMasterObjNum, the number checks sell it under"
    internal = text(definition, "MenuItemMasterID")
    if internal:
        reason += f"; it has only MenuItemMasterID {internal}"
    return SkippedItem(def_id, reason)


def is_closed(check: etree._Element) -> bool:
    """Whether a check is closed: nothing left due, and tendered (a tender settling the check closes it).

    A check with nothing due but no tender is one just opened, or one whose items are all voided and that
    was never closed: it is followed, not recorded.
    """
    if number(text(child(check, "Summary"), "Due"), "a check's amount due"):
        return False
    return any((text(line, "DetailType") or "").lower() == "dtltmedtype"
               and (text(line, "VoidLink") or "0") == "0"
               for line in children(child(check, "DetailLines"), "DetailLine"))


def check_purchase(check: etree._Element, rvc: int, check_number: int, sequence: int, currency: str,
                   zone: tzinfo) -> tuple[bool, PurchaseRecord | None]:
    """Whether a check is closed, and the purchase it records (None when nothing was sold)."""
    summary = child(check, "Summary")
    if not is_closed(check):
        return False, None
    lines, coupons = lines_and_discounts(child(check, "DetailLines"))
    if not lines:
        return True, None  # everything voided: nothing was sold
    total = text(summary, "Total")
    if total is None:
        total = str(number(text(summary, "SubTotal"), "a subtotal") + number(text(summary, "Tax"), "tax"))
    opened = text(summary, "CheckOpenTime")
    if not opened:
        raise ConnectorError(ErrorKind.PERMANENT, f"Simphony check {check_number} has no open time")
    try:
        opened_at = datetime.fromisoformat(opened)
    except ValueError as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Simphony check {check_number} opened at {opened!r}, "
                             "not a time") from exc
    return True, PurchaseRecord(
        # The check sequence number is unique in the property; check numbers are reused.
        external_id=str(sequence),
        location_external_id=str(rvc),
        # Simphony writes property-local times without an offset.
        occurred_at=opened_at.replace(tzinfo=zone) if opened_at.tzinfo is None else opened_at,
        lines=lines,
        total=str(number(total, "a check total")),
        currency=currency,
        payment_state="paid_at_pos",
        coupon_codes=coupons,
    )


def lines_and_discounts(detail_lines: etree._Element | None) -> tuple[list[PurchaseLineRecord], list[str]]:
    """The menu items a check sold (voids cancelled out, free condiments left out) and its discounts."""
    lines: list[PurchaseLineRecord] = []
    discounts: list[str] = []
    for line in children(detail_lines, "DetailLine"):
        if (text(line, "VoidLink") or "0") != "0":
            continue  # voided entries and their voids cancel out
        detail_type = (text(line, "DetailType") or "").lower()
        total = number(text(line, "Total"), "a line total")
        if detail_type == "dtlmitype":
            count = number(text(line, "SalesCount"), "a sales count")
            is_condiment = (text(line, "ParentDetailLink") or "0") != "0"
            if count <= 0 or (is_condiment and not total):
                continue
            unit = (total / count).quantize(Decimal(1).scaleb(min(total.as_tuple().exponent, -2)))
            lines.append(PurchaseLineRecord(
                sku=text(line, "MenuItem", "obj") or "",
                quantity=int(count),
                unit_price=str(unit),
                line_total=str(total),
                name=text(line, "MenuItem", "Name"),
            ))
        elif detail_type == "dtldsctype":
            name = text(line, "Discount", "Name") or text(line, "Discount", "obj")
            if name and name not in discounts:
                discounts.append(name)
    return lines, discounts
