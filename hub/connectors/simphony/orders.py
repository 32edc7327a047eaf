"""Orders at Simphony: a check posted by PostTransactionEx, read by GetCheckDetail, voided by VoidTransaction.

Transaction Services has no operation that changes the items of a posted check (AddToExistingCheckEx only
adds), so an update is unsupported; a cancellation voids the check. The check sequence number is the order's
POS id, the same id the connector gives the check's purchase, so the hub links the two.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from hub.connectors.base import (
    ConnectorError,
    ErrorKind,
    OrderData,
    OrderLineData,
    OrderPlacement,
    OrderRef,
    OrderRefused,
    OrderStatusReport,
    Unsupported,
)
from hub.connectors.simphony import mapping
from hub.connectors.simphony.embedded import child, children, parse_embedded, text
from hub.connectors.simphony.errors import GONE_CHECK_CODES, failed_operation
from hub.work.failures import Fault

UPDATE_UNSUPPORTED = (
    "Simphony Transaction Services cannot change the items of a posted check (it can only add items or "
    "void the whole check); cancel the order and place a new one instead"
)
# How far back a create looks for the check an earlier attempt of the same order may have posted.
POSTED_LOOKBACK_HOURS = 24
# OperationalResult codes that are Simphony saying no to this order, not a failure of the service or settings.
REFUSALS: Mapping[str, str] = {
    "MenuItemOutOfOrder": "an item is out of order (not available) at Simphony",
    "InvalidMenuItemPrice": "an item has no valid price in this revenue center",
    "PriceMenuItemWithZeroAmount": "an item has no price in this revenue center",
    "ComboMealNotFound": "a combo meal is not known to Simphony",
    "InvalidServingPeriod": "the revenue center is not serving now (no open serving period)",
    "ErrorCreatingGuestcheck": "Simphony could not create the check",
    "CheckNotFound": "the check is no longer open at Simphony",
    "InvalidCheckNumber": "the check is no longer open at Simphony",
}


def order_failure(outcome: Any, operation: str) -> ConnectorError:
    """A failed OperationalResult: a refusal of the order when its code says so, else the table's error."""
    code = str(outcome.ErrorCode or "UnknownExceptionCode")
    if code in REFUSALS:
        detail = f": {outcome.ErrorMessage}" if outcome.ErrorMessage and outcome.ErrorMessage != code else ""
        return OrderRefused(f"Simphony {operation} refused: {REFUSALS[code]}{detail}", vendor_code=code)
    return failed_operation(outcome, operation)


def check_outcome(part: Any, operation: str) -> None:
    """Raise when a reply part's OperationalResult says it failed (absent: nothing to say)."""
    outcome = getattr(part, "OperationalResult", None)
    if outcome is not None and not outcome.Success:
        raise order_failure(outcome, operation)


class SimphonyOrders:
    """Places, follows and voids orders as checks of one property, with the connector's calls and settings."""

    def __init__(self, call: Callable[..., Any], setting: Callable[[str], Any], config: Mapping[str, Any],
                 vendor_code: str, zone: ZoneInfo) -> None:
        self.call = call
        self.setting = setting
        self.config = config
        self.vendor_code = vendor_code
        self.zone = zone

    # -- requests ----------------------------------------------------------------------------

    def revenue_center(self, order: OrderData) -> int:
        """The revenue center the check goes to: the order's location, one of the connection's."""
        centers = [int(rvc) for rvc in self.config["revenue_centers"]]
        location = order.location_external_id
        if location is None and len(centers) == 1:
            return centers[0]
        if location is not None and location.strip().isdigit() and int(location) in centers:
            return int(location)
        raise ConnectorError(
            ErrorKind.PERMANENT,
            f"location {location!r} is not one of this Simphony connection's revenue centers "
            f"({', '.join(str(c) for c in centers)}); register the location with a revenue center number",
            fault=Fault.CONFIGURATION,
        )

    def guest_check(self, order: OrderData, rvc: int) -> dict[str, Any]:
        """The check's header: revenue center, order type, API employee, when to fire, the channel's words."""
        fire = order.pickup_at.astimezone(self.zone) if order.pickup_at else datetime.now(self.zone)
        info = [f"Order {order.channel_order_id}" + (f" ({order.channel})" if order.channel else "")]
        if order.customer_key:
            info.append(f"Customer {order.customer_key}")
        if order.note:
            info.append(order.note)
        info.append("Prepaid" if order.payment_type == "prepaid" else "Pay at POS")
        return {
            "CheckDateToFire": fire.replace(tzinfo=None, microsecond=0),
            "CheckEmployeeObjectNum": int(self.config["employee_object_number"]),
            "CheckGuestCount": 1,
            "CheckID": order.channel_order_id,
            "CheckNum": 0,
            "CheckOrderType": int(self.setting("order_type_number")),
            "CheckRevenueCenterID": rvc,
            "CheckSeq": 0,
            "CheckStatusBits": 0,
            "CheckTableObjectNum": 0,
            "PCheckInfoLines": {"string": info},
            "EventObjectNum": 0,
        }

    def menu_items(self, lines: list[OrderLineData]) -> list[dict[str, Any]]:
        """One SimphonyPosApi_MenuItem per unit (the type has no quantity), with condiments and reference."""
        items = []
        for line in lines:
            item = self._menu_item(line)
            items += [item] * line.quantity
        return items

    def _menu_item(self, line: OrderLineData) -> dict[str, Any]:
        if not line.sku.strip().isdigit():
            raise OrderRefused(f"item {line.sku!r} is not a Simphony menu item: Simphony sells items by "
                               "their menu item master number, the sku its menu import gives them")
        condiment_numbers = self.setting("condiment_object_numbers") or {}
        condiments, words = [], []
        for modifier in line.modifiers:
            name, option = str(modifier.get("name") or ""), str(modifier.get("option") or "")
            number = condiment_numbers.get(f"{name}: {option}", condiment_numbers.get(option))
            if number is not None:
                condiments.append(self._definition(int(number)))
            else:
                words.append(f"{name}: {option}" if name and option else name or option)
        if line.note:
            words.append(line.note)
        item: dict[str, Any] = {"MenuItem": {**self._definition(int(line.sku))}}
        if words:
            item["MenuItem"]["MiReference"] = "; ".join(w for w in words if w)
        if condiments:
            item["Condiments"] = {"SimphonyPosApi_MenuItemDefinition": condiments}
        return item

    def _definition(self, number: int) -> dict[str, Any]:
        return {"MiObjectNum": number, "MiMenuLevel": int(self.setting("order_menu_level")),
                "MiSubLevel": int(self.setting("order_sub_level")),
                "MiPriveLevel": int(self.setting("order_price_level"))}

    def tender(self, order: OrderData) -> dict[str, Any] | None:
        """Prepaid: the configured tender media for the paid amount with the channel's reference.

        Pay at the POS: the service-total tender when one is configured (it sends the order to the kitchen and
        leaves the check open), else none.
        """
        if order.payment_type == "prepaid":
            media = self.config.get("order_tender_media")
            if media is None:
                raise Unsupported("Prepaid orders need the Simphony tender media they are paid with: set "
                                  "order_tender_media in the connection settings (a tender defined in EMC "
                                  "for payments taken by the ordering channel)")
            detail: dict[str, Any] = {"TmedObjectNum": int(media),
                                      "TmedPartialPayment": order.payment_amount or order.total}
            if order.payment_reference:
                detail["TmedReference"] = order.payment_reference
            return detail
        service_total = self.config.get("order_service_total_tender")
        return None if service_total is None else {"TmedObjectNum": int(service_total)}

    # -- operations --------------------------------------------------------------------------

    def _order_call(self, operation: str, **arguments: Any) -> Any:
        """A call about an order: a failed OperationalResult that is a refusal becomes OrderRefused."""
        try:
            return self.call(operation, **arguments)
        except OrderRefused:
            raise
        except ConnectorError as exc:
            if exc.vendor_code in REFUSALS:
                reason = f"Simphony {operation} refused: {REFUSALS[exc.vendor_code]} ({exc.message})"
                raise OrderRefused(reason, vendor_code=exc.vendor_code) from exc
            raise

    def create(self, order: OrderData) -> OrderPlacement:
        """Post the check; its sequence number is the order's POS id.

        PostTransactionEx takes no idempotency key, so each attempt first looks for the check an earlier one
        may have posted (a retry after a timeout, say): one of the day's checks of this revenue center named
        with the channel's order id.
        """
        rvc = self.revenue_center(order)
        arguments: dict[str, Any] = {
            "vendorCode": self.vendor_code,
            "pGuestCheck": self.guest_check(order, rvc),
            "ppMenuItems": {"SimphonyPosApi_MenuItem": self.menu_items(order.lines)},
        }
        tender = self.tender(order)
        if tender is not None:
            arguments["pTmedDetail"] = tender
        posted = self.posted_check(order, rvc)
        if posted is not None:
            return posted
        reply = self._order_call("PostTransactionEx", **arguments)
        check = getattr(reply, "pGuestCheck", None)
        check_outcome(check, "PostTransactionEx")
        check_outcome(getattr(reply, "pTotalsResponse", None), "PostTransactionEx")
        if check is None or not check.CheckSeq:
            # Not retried: the check may exist, and a second post would make the order twice.
            raise ConnectorError(ErrorKind.PERMANENT, "Simphony PostTransactionEx answered without the "
                                 "check it posted; look for the order's check at the POS", fault=Fault.VENDOR)
        totals = getattr(reply, "pTotalsResponse", None)
        state = {"rvc": rvc, "num": int(check.CheckNum), "seq": int(check.CheckSeq),
                 "total_due": getattr(totals, "TotalsTotalDue", None)}
        return OrderPlacement(str(check.CheckSeq), "accepted", pos_state=state)

    def posted_check(self, order: OrderData, rvc: int) -> OrderPlacement | None:
        """The check of this order already posted in the last day, when there is one."""
        now = datetime.now(self.zone).replace(tzinfo=None, microsecond=0)
        since = now - timedelta(hours=POSTED_LOOKBACK_HOURS)
        reply = self.call("GetChecks", ppCheckFilter={
            "VendorCode": self.vendor_code, "EmployeeObjectNum": int(self.config["employee_object_number"]),
            "RvcObjectNum": rvc, "OrderTypeID": int(self.setting("order_type_number")),
            "LookUpStartDate": since, "IncludeClosedCheck": True,
        })
        checks = getattr(reply, "Checks", None)
        for summary in getattr(checks, "SimphonyPosApi_CheckSummaryEx", None) or []:
            if summary.CheckID == order.channel_order_id and summary.CheckSeq and not summary.CheckInTraining:
                state = {"rvc": rvc, "num": int(summary.CheckNum), "seq": int(summary.CheckSeq),
                         "total_due": summary.CheckTotalDue}
                return OrderPlacement(str(summary.CheckSeq), "accepted", pos_state=state)
        return None

    def cancel(self, ref: OrderRef) -> OrderPlacement:
        """Void the posted check."""
        state = ref.pos_state
        if not state.get("seq"):
            return OrderPlacement(ref.pos_order_id, "cancelled", reason="never posted to Simphony")
        guest_check = {
            "CheckDateToFire": datetime.now(self.zone).replace(tzinfo=None, microsecond=0),
            "CheckEmployeeObjectNum": int(self.config["employee_object_number"]),
            "CheckGuestCount": 1, "CheckNum": int(state["num"]),
            "CheckOrderType": int(self.setting("order_type_number")),
            "CheckRevenueCenterID": int(state["rvc"]), "CheckSeq": int(state["seq"]),
            "CheckStatusBits": 0, "CheckTableObjectNum": 0, "EventObjectNum": 0,
        }
        # The reply is the voided pGuestCheck; the client raises on its failed OperationalResult.
        self._order_call("VoidTransaction", vendorCode=self.vendor_code, pGuestCheck=guest_check)
        return OrderPlacement(ref.pos_order_id, "cancelled", pos_state=dict(state))

    def statuses(self, refs: list[OrderRef]) -> list[OrderStatusReport]:
        """Each posted check's state: open accepted, closed completed, every item voided cancelled."""
        reports = []
        for ref in refs:
            state = ref.pos_state
            if not ref.pos_order_id or not state.get("seq") or not state.get("num"):
                continue
            try:
                reply = self.call("GetCheckDetail", ppCheckDetailFilter={
                    "VendorCode": self.vendor_code, "CheckNumber": int(state["num"]),
                    "CheckSeqNumber": int(state["seq"])})
            except ConnectorError as exc:
                if exc.vendor_code in GONE_CHECK_CODES:
                    continue  # no longer known to Simphony: left out, as the interface asks
                raise
            try:
                check = parse_embedded(reply.CheckDetail or "", f"the detail of check {state['num']}")
            except ConnectorError:
                continue  # unreadable now: asked again on the next poll (the purchase poll sets it aside)
            status, reason = check_status(check)
            reports.append(OrderStatusReport(ref.pos_order_id, status, reason=reason))
        return reports


def check_status(check: etree._Element) -> tuple[str, str | None]:
    """A check's order status: cancelled when every item is voided, completed once closed, else accepted."""
    items = [line for line in children(child(check, "DetailLines"), "DetailLine")
             if (text(line, "DetailType") or "").lower() == "dtlmitype"]
    if items and all((text(line, "VoidLink") or "0") != "0" for line in items):
        return "cancelled", "every item of the check was voided at Simphony"
    if mapping.is_closed(check):
        return "completed", None
    return "accepted", None
