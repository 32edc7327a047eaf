"""A menu import that says what it left out and why, so "0 items imported" is never silent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.connectors.base import MenuItemData


@dataclass(frozen=True)
class SkippedItem:
    """A POS record the import could not turn into a menu item: the POS's own id and the reason."""

    external_id: str
    reason: str


class ImportedMenu(list[MenuItemData]):
    """The items ``Connector.import_menu`` found, and in ``skipped`` the records it left out.

    A list, so callers that only want the items need not change.
    """

    def __init__(self, items: Iterable[MenuItemData] = (), skipped: Iterable[SkippedItem] = ()) -> None:
        super().__init__(items)
        self.skipped: list[SkippedItem] = list(dict.fromkeys(skipped))


def skipped_of(items: Iterable[MenuItemData]) -> list[SkippedItem]:
    """What an import left out; none when the connector does not say."""
    return list(getattr(items, "skipped", []))


__all__ = ["ImportedMenu", "SkippedItem", "skipped_of"]
