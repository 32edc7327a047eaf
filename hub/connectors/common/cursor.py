"""The purchase cursor of vendors polled by "updated at" ascending (Square, Shopify).

A poll reads orders updated at or after ``since``, page by page (``page`` is the vendor's own
cursor while pages are left) and remembers the ``newest`` update time seen. After the last page
the next poll starts at ``newest`` minus an overlap, for orders that reach the vendor's search
late: an order can be reported twice, and the hub deduplicates by external id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from hub.connectors.base import ConnectorError, ErrorKind, PurchasePage, PurchaseRecord
from hub.connectors.common.timefmt import parse_rfc3339, rfc3339

# Re-read this much before the newest update seen.
OVERLAP = timedelta(minutes=2)


@dataclass
class UpdatedSince:
    """Where a poll by update time stands: the cursor saved between polls, read and written as JSON."""

    since: str | None = None
    newest: str | None = None
    page: str | None = None

    @classmethod
    def read(cls, cursor: str | None) -> UpdatedSince:
        """The saved cursor; a bare RFC 3339 time (e.g. set by support staff) is a start time."""
        if not cursor:
            return cls()
        if not cursor.startswith("{"):
            return cls(since=cursor)
        try:
            state = json.loads(cursor)
        except ValueError as exc:
            raise ConnectorError(ErrorKind.PERMANENT, f"unreadable purchase cursor {cursor!r}") from exc
        return cls(since=state.get("since"), newest=state.get("newest"), page=state.get("page"))

    def saw(self, updated_times: Iterable[str | None]) -> None:
        """Advance ``newest`` over these update times (only order times move it: empty polls never drift)."""
        for updated in updated_times:
            if updated and (self.newest is None or parse_rfc3339(updated) > parse_rfc3339(self.newest)):
                self.newest = updated

    def page_of(self, purchases: list[PurchaseRecord], next_page: str | None, timespec: str) -> PurchasePage:
        """The purchases of this page, with the cursor to save once they are committed."""
        if next_page:
            state = {"since": self.since, "newest": self.newest, "page": next_page}
            return PurchasePage(purchases, json.dumps(state), has_more=True)
        if self.newest is None:
            unchanged = json.dumps({"since": self.since}) if self.since else None
            return PurchasePage(purchases, unchanged, has_more=False)
        since = rfc3339(parse_rfc3339(self.newest) - OVERLAP, timespec)
        return PurchasePage(purchases, json.dumps({"since": since}), has_more=False)
