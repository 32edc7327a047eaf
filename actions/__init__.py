"""Actions: one module each, registered in ACTIONS below."""

from __future__ import annotations

from actions.adjust_stock import ACTION as ADJUST_STOCK
from actions.base import ActionSpec
from actions.cancel_order import ACTION as CANCEL_ORDER
from actions.create_order import ACTION as CREATE_ORDER
from actions.publish_coupon import ACTION as PUBLISH_COUPON
from actions.update_menu import ACTION as UPDATE_MENU
from actions.update_order import ACTION as UPDATE_ORDER

# The explicit list of actions; /v1/actions, /v1/contracts and /openapi.json come from it.
ACTIONS: list[ActionSpec] = [
    UPDATE_MENU,
    PUBLISH_COUPON,
    CREATE_ORDER,
    UPDATE_ORDER,
    CANCEL_ORDER,
    ADJUST_STOCK,
]


def action_named(name: str) -> ActionSpec | None:
    """The action with this name, or None."""
    return next((action for action in ACTIONS if action.name == name), None)
