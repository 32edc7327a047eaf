"""Square's REST API (Connect v2) for one connection: authenticated calls, classified errors, pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from hub.connectors.base import ConnectorError, ErrorKind, request_or_transient
from hub.connectors.square.errors import square_error
from hub.work.failures import Fault

SQUARE_VERSION = "2025-08-20"
# A listing longer than this is cut short with an error: a vendor that keeps handing out new cursors
# must not hold a poll (and, with in-process jobs, every later poll of the connection) for ever.
MAX_PAGES = 200
BASE_URLS = {
    "production": "https://connect.squareup.com",
    "sandbox": "https://connect.squareupsandbox.com",
}


@dataclass
class SquareClient:
    """Calls Square with the connection's token; every failure comes out as a ConnectorError."""

    http: requests.Session
    base_url: str
    token: str
    timeout: float

    def call(self, method: str, path: str, *, body: Any = None, params: Any = None) -> dict[str, Any]:
        """One call; the JSON answer, unless Square reports errors."""
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Square-Version": SQUARE_VERSION,
            "Accept": "application/json",
        }
        response = request_or_transient(
            self.http, method, self.base_url + path, headers=headers, json=body, params=params,
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise square_error(response)
        try:
            data = response.json()
        except ValueError as exc:
            # A 2xx that is not JSON is a proxy or outage page, not Square's answer.
            raise ConnectorError(ErrorKind.TRANSIENT, f"Square answered HTTP {response.status_code} "
                                 "without JSON", status=response.status_code, fault=Fault.VENDOR) from exc
        if not isinstance(data, dict):
            # Every Square answer is an object; anything else is a proxy or a fault at Square's side.
            raise ConnectorError(ErrorKind.TRANSIENT, f"Square answered {method} {path} with "
                                 f"{type(data).__name__} JSON, not a JSON object",
                                 status=response.status_code, fault=Fault.VENDOR)
        if data.get("errors"):
            raise square_error(response)
        return data

    def pages(self, method: str, path: str, key: str, *, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every object under ``key`` of a listing, following Square's cursor page by page.

        A cursor Square already gave, or more than MAX_PAGES pages, stops the listing with an error.
        """
        cursor = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = {"cursor": cursor} if cursor else {}
            if method == "GET":
                data = self.call(method, path, params={**(params or {}), **page})
            else:
                data = self.call(method, path, body={**(body or {}), **page})
            yield from data.get(key) or []
            cursor = data.get("cursor")
            if not cursor:
                return
            if cursor in seen:
                raise _paging_error(f"Square repeated a page cursor of {method} {path} after {len(seen) + 1} "
                                    "pages; paging stopped")
            seen.add(cursor)
        raise _paging_error(f"Square's listing {method} {path} went on past {MAX_PAGES} pages; "
                            "paging stopped")


def _paging_error(message: str) -> ConnectorError:
    # Square's fault, and maybe passing: retried with backoff, and shown as the connection's last error.
    return ConnectorError(ErrorKind.TRANSIENT, message, vendor_code="PAGING", fault=Fault.VENDOR)
