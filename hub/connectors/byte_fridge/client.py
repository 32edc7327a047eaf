"""The account's Byte REST API: keyed calls under its base URL, classified errors, list pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from hub.connectors.base import ConnectorError, ErrorKind, request_or_transient
from hub.connectors.byte_fridge.errors import byte_error, refused_in_part, settings_error
from hub.connectors.byte_fridge.fields import get_path

MAX_PAGES = 1000  # a runaway guard for list endpoints that never stop paging


@dataclass
class ByteClient:
    """Calls one Byte account; the field names say where its messages and next cursors are."""

    http: requests.Session
    timeout: float
    base_url: str
    headers: dict[str, str]  # the key, and what every call accepts
    fields: Mapping[str, str]
    page_param: str  # the query parameter asking a list for its next page

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        """One call; its JSON answer (None when empty), failures classified with the vendor's message kept."""
        url = f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        response = request_or_transient(
            self.http, method, url, params=params, json=body, timeout=self.timeout,
            headers={**self.headers, **(headers or {})},
        )
        if response.status_code >= 400:
            raise byte_error(response, self.fields["error_message"])
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"Byte answered {method} {path} with something other than JSON; "
                                 f"check the base URL and path", status=response.status_code) from exc

    def push(self, method: str, path: str, body: Any, idempotency_key: str) -> None:
        """Send records; an answer that says some were not applied fails, so no delivery reports them done."""
        url = f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        response = request_or_transient(
            self.http, method, url, json=body, timeout=self.timeout,
            headers={**self.headers, "Idempotency-Key": idempotency_key},
        )
        if response.status_code >= 400:
            raise byte_error(response, self.fields["error_message"])
        try:
            answer = response.json() if response.content.strip() else None
        except ValueError:
            answer = None  # a push answered with no JSON said nothing about its records
        refusal = refused_in_part(response, answer, self.fields.get("push_errors", ""))
        if refusal is not None:
            raise refusal

    def list(self, path: str, list_field: str) -> list[Any]:
        """Every row of a list endpoint, following its next cursor when it pages."""
        rows: list[Any] = []
        params: dict[str, Any] = {}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = self.request("GET", path, params=params or None)
            page = get_path(body, list_field) if list_field else body
            if not isinstance(page, list):
                where = f"field {list_field!r}" if list_field else "the top level"
                raise settings_error(f"Byte's GET {path} has no list at {where}; check the field names")
            rows.extend(page)
            token = get_path(body, self.fields["next_cursor"]) if isinstance(body, Mapping) else None
            if not page or token in (None, "") or str(token) in seen:
                return rows
            seen.add(str(token))
            params = {self.page_param: token}
        raise ConnectorError(ErrorKind.PERMANENT, f"Byte's GET {path} kept paging past {MAX_PAGES} pages")
