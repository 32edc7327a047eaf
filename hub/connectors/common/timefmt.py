"""RFC 3339 times as vendors' JSON APIs write them ("2025-03-14T12:31:07.123Z")."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_rfc3339(value: str) -> datetime:
    """An RFC 3339 time, "Z" included, as an aware datetime (ValueError when it is not one)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def rfc3339(moment: datetime, timespec: str = "seconds") -> str:
    """A moment in UTC written with "Z", to the second or finer (timespec as datetime.isoformat)."""
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
