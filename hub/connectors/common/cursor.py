"""The purchase cursor of vendors polled by "updated at" ascending (Square, Shopify).

A poll reads orders updated at or after ``since``, page by page (``page`` is the vendor's own
cursor while pages are left) and remembers the ``newest`` update time seen. After the last page
the next poll starts at ``newest`` minus an overlap, for orders that reach the vendor's search
late: an order can be reported twice, and the hub deduplicates by external id.

A vendor that caps how many locations one search may name is searched in ``part``s (one group of
locations after the other, each paged to its end) from the same ``since``. A page cursor the vendor
repeats, or one it answers with nothing (stale), ends the paging: the next poll starts from the time.
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
    part: int = 0  # the group of locations being searched, for vendors that search them in groups

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
        part = state.get("part", 0)
        return cls(since=state.get("since"), newest=state.get("newest"), page=state.get("page"),
                   part=part if isinstance(part, int) and part > 0 else 0)

    def saw(self, updated_times: Iterable[str | None]) -> None:
        """Advance ``newest`` over these update times (only order times move it: empty polls never drift)."""
        for updated in updated_times:
            if updated and (self.newest is None or parse_rfc3339(updated) > parse_rfc3339(self.newest)):
                self.newest = updated

    def page_of(self, purchases: list[PurchaseRecord], next_page: str | None, timespec: str,
                parts: int = 1) -> PurchasePage:
        """The purchases of this page, with the cursor to save once they are committed."""
        part = {"part": self.part} if self.part else {}
        # A repeated cursor would ask for this same page for ever: the paging of this part ends here.
        if next_page and next_page != self.page:
            state = {"since": self.since, "newest": self.newest, "page": next_page, **part}
            return PurchasePage(purchases, json.dumps(state), has_more=True)
        if self.part + 1 < parts:
            state = {"since": self.since, "newest": self.newest, "part": self.part + 1}
            return PurchasePage(purchases, json.dumps({k: v for k, v in state.items() if v}), has_more=True)
        if self.newest is None:
            if self.since or self.page or self.part:
                # Saved even without a time: a stale page cursor must not be resent for ever.
                return PurchasePage(purchases, json.dumps({"since": self.since}), has_more=False)
            return PurchasePage(purchases, None, has_more=False)
        since = rfc3339(parse_rfc3339(self.newest) - OVERLAP, timespec)
        return PurchasePage(purchases, json.dumps({"since": since}), has_more=False)
