"""Byte Technology smart fridges through a configurable REST adapter.

Byte publishes no public API: each account's integration names its own endpoint paths and
field names. Every path and field is a setting with a default, and fields accept dotted
paths (``price.amount``) for nested values, both when reading and when writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    ErrorTable,
    InventoryCount,
    LocationStatus,
    MenuItemData,
    PurchaseLineRecord,
    PurchasePage,
    PurchaseRecord,
    Unsupported,
    map_http_error,
    request_or_transient,
)

# The one error table; unlisted 5xx are transient and other unlisted statuses permanent.
ERRORS: ErrorTable = {
    400: ErrorKind.PERMANENT,
    401: ErrorKind.PERMANENT,
    403: ErrorKind.PERMANENT,
    404: ErrorKind.PERMANENT,
    408: ErrorKind.TRANSIENT,
    409: ErrorKind.PERMANENT,
    422: ErrorKind.PERMANENT,
    429: ErrorKind.RATE_LIMITED,
}

PATHS: dict[str, tuple[str, str]] = {
    "fridges": ("/fridges", "GET: the fridges with their status."),
    "inventory": ("/inventory", "GET: stock per fridge and sku. Write {fridge_id} in the path, e.g. "
                                "/fridges/{fridge_id}/inventory, to ask fridge by fridge."),
    "transactions": ("/transactions", "GET: purchases after a cursor, oldest first."),
    "menu": ("/menu", "Receives menu changes (method: menu_method)."),
    "coupons": ("", "Receives coupons (method: coupons_method). Empty: this account's fridges take "
                    "no coupons and coupon pushes are reported as unsupported."),
}

# Field names: (default, what it is). A dotted name reads or writes a nested field.
FIELDS: dict[str, tuple[str, str]] = {
    "fridges_list": ("", "Where the list of fridges is in the reply; empty: the reply is the list."),
    "inventory_list": ("", "Where the list of stock rows is in the reply; empty: the reply is the list."),
    "transactions_list": ("transactions", "Where the list of transactions is in the reply."),
    "next_cursor": ("next_cursor", "The cursor to ask for the next page with."),
    "has_more": ("has_more", "True when more pages follow (optional in replies)."),
    "error_message": ("message", "The vendor's error text in error replies."),
    "fridge_id": ("id", "A fridge's id."),
    "fridge_name": ("name", "A fridge's name."),
    "fridge_status": ("status", "A fridge's status: true/false or one of the online values."),
    "inventory_fridge_id": ("fridge_id", "The fridge of a stock row."),
    "inventory_sku": ("sku", "The sku of a stock row."),
    "inventory_quantity": ("quantity", "The units in stock of a stock row."),
    "transaction_id": ("id", "A transaction's unique id."),
    "transaction_fridge_id": ("fridge_id", "The fridge a transaction happened at."),
    "transaction_time": ("timestamp", "When it happened: ISO 8601, or Unix seconds or milliseconds."),
    "transaction_items": ("items", "The list of items bought."),
    "transaction_total": ("total", "The amount paid; the sum of the lines when absent."),
    "transaction_currency": ("currency", "ISO 4217 code; default_currency when absent."),
    "transaction_payment": ("payment", "How it was paid, translated by payment_states."),
    "transaction_customer": ("customer_id", "The customer's id or loyalty card, when known."),
    "transaction_coupons": ("coupon_codes", "Coupon codes used (a list or a single code)."),
    "item_sku": ("sku", "An item's sku."),
    "item_name": ("name", "An item's name."),
    "item_quantity": ("quantity", "Units bought."),
    "item_unit_price": ("unit_price", "Price of one unit."),
    "item_line_total": ("line_total", "Price of the line; unit price times quantity when absent."),
    "menu_items": ("items", "Where the list of items goes in a menu push; empty: the body is the list."),
    "menu_sku": ("sku", "Menu push: the sku."),
    "menu_name": ("name", "Menu push: the name."),
    "menu_description": ("description", "Menu push: the description."),
    "menu_category": ("category", "Menu push: the category."),
    "menu_price": ("price", "Menu push: the price (decimal string)."),
    "menu_currency": ("currency", "Menu push: the currency."),
    "menu_available": ("available", "Menu push: whether it can be sold."),
    "menu_image_url": ("image_url", "Menu push: the picture's URL."),
    "menu_modifiers": ("modifiers", "Menu push: the modifiers."),
    "menu_fridge_ids": ("fridge_ids", "Menu push: the fridges it is sold in (absent: all)."),
    "menu_removed": ("removed", "Menu push: true to take it off the menu."),
    "coupons_list": ("coupons", "Where the list goes in a coupon push; empty: the body is the list."),
    "coupon_code": ("code", "Coupon push: the code."),
    "coupon_name": ("name", "Coupon push: the name."),
    "coupon_discount_type": ("discount_type", "Coupon push: percent or fixed."),
    "coupon_percent_off": ("percent_off", "Coupon push: the percentage off."),
    "coupon_amount_off": ("amount_off", "Coupon push: the amount off."),
    "coupon_currency": ("currency", "Coupon push: the currency of the amount off."),
    "coupon_valid_from": ("valid_from", "Coupon push: start of validity (ISO 8601)."),
    "coupon_valid_until": ("valid_until", "Coupon push: end of validity (ISO 8601)."),
    "coupon_skus": ("skus", "Coupon push: the skus it applies to (absent: all)."),
    "coupon_fridge_ids": ("fridge_ids", "Coupon push: the fridges it applies in (absent: all)."),
    "coupon_active": ("active", "Coupon push: whether it can be used."),
}

DEFAULT_PAYMENT_STATES = {"prepaid": "prepaid", "app": "prepaid", "card": "paid_at_pos",
                          "cash": "paid_at_pos", "unpaid": "unpaid"}
MAX_PAGES = 1000  # a runaway guard for list endpoints that never stop paging


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path (list positions as numbers), or None."""
    for part in path.split(".") if path else []:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Write value at a dotted path, creating the objects on the way."""
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def amount(value: Any, what: str) -> str:
    """A vendor number (JSON number or string) as a decimal string with at least two places."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Byte sent {what} {value!r}, not a number") from exc
    if not number.is_finite():
        raise ConnectorError(ErrorKind.PERMANENT, f"Byte sent {what} {value!r}, not a number")
    exponent = number.as_tuple().exponent
    return str(number if isinstance(exponent, int) and exponent <= -2 else number.quantize(Decimal("0.01")))


def parse_time(value: Any) -> datetime:
    """ISO 8601 text or Unix seconds/milliseconds as an aware datetime (UTC when no offset)."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Byte sent the time {value!r}, not ISO 8601") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _defaults(table: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {name: default for name, (default, _) in table.items()}


def _string_settings(table: dict[str, tuple[str, str]]) -> dict[str, Any]:
    return {name: {"type": "string", "title": name.replace("_", " ").capitalize(), "default": default,
                   "description": text} for name, (default, text) in table.items()}


class ByteFridgeConnector(Connector):
    """A Byte Technology fridge fleet behind the account's own REST endpoints."""

    type = "byte_fridge"
    title = "Byte Technology smart fridges"
    description = (
        "Polls a fleet of Byte smart fridges over REST for status, stock and purchases, and pushes "
        "menu changes (and coupons, when a coupons path is set). Paths and field names follow the "
        "account's Byte integration and are set per connection."
    )
    settings_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["base_url"],
        "properties": {
            "base_url": {
                "type": "string", "format": "uri", "pattern": "^https?://", "title": "API base URL",
                "description": "The root of the account's Byte API, e.g. https://api.bytefridges.example/v1.",
            },
            "auth_header": {
                "type": "string", "minLength": 1, "default": "Authorization", "title": "Auth header",
                "description": "The HTTP header that carries the API key, e.g. Authorization or X-Api-Key.",
            },
            "auth_scheme": {
                "type": "string", "default": "Bearer", "title": "Auth scheme",
                "description": "Written before the key in the auth header, e.g. Bearer or Token. "
                               "Empty: the header carries the bare key.",
            },
            "paths": {
                "type": "object", "additionalProperties": False, "title": "Endpoint paths",
                "description": "Paths under the base URL; each has a default.",
                "properties": _string_settings(PATHS),
            },
            "menu_method": {
                "type": "string", "enum": ["PUT", "POST", "PATCH"], "default": "PUT",
                "title": "Menu push method", "description": "HTTP method of menu pushes.",
            },
            "coupons_method": {
                "type": "string", "enum": ["PUT", "POST", "PATCH"], "default": "POST",
                "title": "Coupon push method", "description": "HTTP method of coupon pushes.",
            },
            "cursor_param": {
                "type": "string", "minLength": 1, "default": "since",
                "title": "Transactions cursor parameter",
                "description": "Query parameter that sends the saved cursor to the transactions path.",
            },
            "page_param": {
                "type": "string", "minLength": 1, "default": "cursor", "title": "Page parameter",
                "description": "Query parameter that asks the fridges and inventory paths for their "
                               "next page, when their replies carry a next cursor.",
            },
            "online_values": {
                "type": "array", "items": {"type": "string"}, "default": ["online"],
                "title": "Online status values",
                "description": "Fridge status values that mean online (case-insensitive); any other "
                               "value means offline. A true/false status is read as such.",
            },
            "payment_states": {
                "type": "object", "title": "Payment methods",
                "additionalProperties": {"type": "string", "enum": ["prepaid", "paid_at_pos", "unpaid"]},
                "default": DEFAULT_PAYMENT_STATES,
                "description": "How the vendor's payment values translate: prepaid (paid in an app "
                               "before), paid_at_pos (paid at the fridge) or unpaid. Unlisted values "
                               "count as paid_at_pos.",
            },
            "default_currency": {
                "type": "string", "pattern": "^[A-Z]{3}$", "title": "Default currency",
                "description": "ISO 4217 code used when a transaction carries no currency.",
            },
            "fields": {
                "type": "object", "additionalProperties": False, "title": "Field names",
                "description": "The vendor's field names, where they differ from the defaults. "
                               "Dotted names (price.amount) reach nested fields.",
                "properties": _string_settings(FIELDS),
            },
        },
    }
    credentials_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["api_key"],
        "properties": {
            "api_key": {
                "type": "string", "minLength": 1, "title": "API key",
                "description": "The key Byte issued for this account's integration.",
            },
        },
    }
    outbound_url_settings = ("base_url",)
    capabilities = frozenset({
        Capability.TEST, Capability.STATUS, Capability.INVENTORY, Capability.PURCHASES,
        Capability.PUSH_MENU, Capability.PUSH_COUPONS,
    })
    default_poll_interval_seconds = 60

    def __init__(self, config: Mapping[str, Any], credentials: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(config, credentials, **kwargs)
        self.paths = _defaults(PATHS) | dict(self.config.get("paths", {}))
        self.fields = _defaults(FIELDS) | dict(self.config.get("fields", {}))

    # -- HTTP ----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        scheme = self.config.get("auth_scheme", "Bearer")
        key = str(self.credentials.get("api_key", ""))
        header = self.config.get("auth_header") or "Authorization"
        return {header: f"{scheme} {key}" if scheme else key, "Accept": "application/json"}

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        """One call; failures classified through ERRORS with the vendor's message kept."""
        url = f"{str(self.config['base_url']).rstrip('/')}/{path.lstrip('/')}"
        response = request_or_transient(
            self.http, method, url, params=params, json=body, timeout=self.timeout,
            headers={**self._headers(), **(headers or {})},
        )
        if response.status_code >= 400:
            raise map_http_error(response, ERRORS, message=self._vendor_message(response))
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"Byte answered {method} {path} with something other than JSON; "
                                 f"check the base URL and path", status=response.status_code) from exc

    def _vendor_message(self, response: Any) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        for path in (self.fields["error_message"], "message", "error.message", "error", "detail"):
            found = get_path(body, path)
            if isinstance(found, str) and found:
                return found
        return None

    def _list(self, path: str, list_field: str) -> list[Any]:
        """Every row of a list endpoint, following its next cursor when it pages."""
        rows: list[Any] = []
        params: dict[str, Any] = {}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = self._request("GET", path, params=params or None)
            page = get_path(body, list_field) if list_field else body
            if not isinstance(page, list):
                where = f"field {list_field!r}" if list_field else "the top level"
                raise ConnectorError(ErrorKind.PERMANENT,
                                     f"Byte's GET {path} has no list at {where}; check the field names")
            rows.extend(page)
            token = get_path(body, self.fields["next_cursor"]) if isinstance(body, Mapping) else None
            if not page or token in (None, "") or str(token) in seen:
                return rows
            seen.add(str(token))
            params = {self.config.get("page_param", "cursor"): token}
        raise ConnectorError(ErrorKind.PERMANENT, f"Byte's GET {path} kept paging past {MAX_PAGES} pages")

    def _required(self, record: Any, field: str, what: str) -> Any:
        value = get_path(record, self.fields[field])
        if value is None or value == "":
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"a Byte {what} has no {self.fields[field]!r}; set fields.{field} in the "
                                 f"connection settings to the vendor's name for it")
        return value

    # -- reading ---------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """The fridges list answers with these credentials."""
        self.fetch_status()

    def fetch_status(self) -> list[LocationStatus]:
        """Each fridge, online when its status says so."""
        online_values = {v.lower() for v in self.config.get("online_values", ["online"])}
        statuses = []
        for fridge in self._list(self.paths["fridges"], self.fields["fridges_list"]):
            fridge_id = str(self._required(fridge, "fridge_id", "fridge"))
            status = get_path(fridge, self.fields["fridge_status"])
            online = status if isinstance(status, bool) else str(status).lower() in online_values
            statuses.append(LocationStatus(fridge_id, str(get_path(fridge, self.fields["fridge_name"])
                                                          or fridge_id), online))
        return statuses

    def fetch_inventory(self) -> list[InventoryCount]:
        """Stock per fridge and sku, in one call or fridge by fridge when the path names {fridge_id}."""
        path = self.paths["inventory"]
        if "{fridge_id}" not in path:
            return [self._count(row, None) for row in self._list(path, self.fields["inventory_list"])]
        counts = []
        for fridge in self.fetch_status():
            fridge_path = path.replace("{fridge_id}", quote(fridge.external_id, safe=""))
            counts += [self._count(row, fridge.external_id)
                       for row in self._list(fridge_path, self.fields["inventory_list"])]
        return counts

    def _count(self, row: Any, fridge_id: str | None) -> InventoryCount:
        location = get_path(row, self.fields["inventory_fridge_id"]) or fridge_id
        if location is None:
            location = self._required(row, "inventory_fridge_id", "stock row")
        quantity = self._required(row, "inventory_quantity", "stock row")
        try:
            units = int(Decimal(str(quantity)))
        except (InvalidOperation, ValueError) as exc:
            raise ConnectorError(ErrorKind.PERMANENT, f"Byte sent the quantity {quantity!r}") from exc
        return InventoryCount(str(location), str(self._required(row, "inventory_sku", "stock row")), units)

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """One page of transactions after the cursor; next_cursor of the reply is saved."""
        params = {self.config.get("cursor_param", "since"): cursor} if cursor else None
        body = self._request("GET", self.paths["transactions"], params=params)
        list_field = self.fields["transactions_list"]
        rows = get_path(body, list_field) if list_field else body
        if not isinstance(rows, list):
            where = list_field or "the top level"
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"Byte's transactions reply has no list at {where}; check the field names")
        purchases = [self._purchase(row) for row in rows]
        token = get_path(body, self.fields["next_cursor"]) if isinstance(body, Mapping) else None
        more = get_path(body, self.fields["has_more"]) if isinstance(body, Mapping) else None
        if token in (None, ""):
            # No cursor from the vendor: continue after the newest transaction seen.
            latest = max((p.occurred_at for p in purchases), default=None)
            return PurchasePage(purchases, latest.isoformat() if latest else cursor, has_more=False)
        next_cursor = str(token)
        has_more = bool(more) if more is not None else bool(rows) and next_cursor != cursor
        return PurchasePage(purchases, next_cursor, has_more=has_more)

    def _purchase(self, row: Any) -> PurchaseRecord:
        external_id = str(self._required(row, "transaction_id", "transaction"))
        occurred_at = parse_time(self._required(row, "transaction_time", "transaction"))
        items = get_path(row, self.fields["transaction_items"]) or []
        if not isinstance(items, list):
            field = self.fields["transaction_items"]
            raise ConnectorError(ErrorKind.PERMANENT, f"a Byte transaction's {field!r} is not a list")
        lines = [self._line(item) for item in items]
        total = get_path(row, self.fields["transaction_total"])
        currency = get_path(row, self.fields["transaction_currency"]) or self.config.get("default_currency")
        if not currency:
            raise ConnectorError(ErrorKind.PERMANENT, "a Byte transaction has no currency; set "
                                                      "fields.transaction_currency or default_currency "
                                                      "in the connection settings")
        payment = str(get_path(row, self.fields["transaction_payment"]) or "").lower()
        states = {k.lower(): v for k, v in self.config.get("payment_states", DEFAULT_PAYMENT_STATES).items()}
        coupons = get_path(row, self.fields["transaction_coupons"]) or []
        customer = get_path(row, self.fields["transaction_customer"])
        fridge = get_path(row, self.fields["transaction_fridge_id"])
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
        )

    def _line(self, item: Any) -> PurchaseLineRecord:
        quantity_value = get_path(item, self.fields["item_quantity"])
        try:
            quantity = int(Decimal(str(1 if quantity_value is None else quantity_value)))
        except (InvalidOperation, ValueError) as exc:
            raise ConnectorError(ErrorKind.PERMANENT, f"Byte sent the quantity {quantity_value!r}") from exc
        unit = get_path(item, self.fields["item_unit_price"])
        line_total = get_path(item, self.fields["item_line_total"])
        if unit is None and line_total is None:
            self._required(item, "item_unit_price", "transaction item")
        if unit is None:
            unit = (Decimal(amount(line_total, "a line total")) / (quantity or 1)).quantize(Decimal("0.01"))
        unit_price = amount(unit, "a unit price")
        name = get_path(item, self.fields["item_name"])
        return PurchaseLineRecord(
            sku=str(self._required(item, "item_sku", "transaction item")),
            quantity=quantity,
            unit_price=unit_price,
            line_total=amount(line_total if line_total is not None else Decimal(unit_price) * quantity,
                              "a line total"),
            name=str(name) if name is not None else None,
        )

    # -- pushes ----------------------------------------------------------------------------------

    def _payload(self, prefix: str, values: dict[str, Any]) -> dict[str, Any]:
        """An outgoing record under the configured field names; absent values are left out."""
        record: dict[str, Any] = {}
        for key, value in values.items():
            if value is not None:
                set_path(record, self.fields[f"{prefix}_{key}"], value)
        return record

    def _wrap(self, list_field: str, records: list[dict[str, Any]]) -> Any:
        if not list_field:
            return records
        body: dict[str, Any] = {}
        set_path(body, list_field, records)
        return body

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Send the changed items to the menu path, keyed for safe retries."""
        records = [self._payload("menu", {
            "sku": i.sku, "name": i.name, "description": i.description, "category": i.category,
            "price": i.price, "currency": i.currency, "available": i.available, "image_url": i.image_url,
            "modifiers": i.modifiers or None, "fridge_ids": i.location_external_ids,
            "removed": True if i.removed else None,
        }) for i in items]
        self._request(self.config.get("menu_method", "PUT"), self.paths["menu"],
                      body=self._wrap(self.fields["menu_items"], records),
                      headers={"Idempotency-Key": idempotency_key})

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Send the coupons to the coupons path; unsupported when the account has none."""
        if not self.paths.get("coupons"):
            raise Unsupported("This Byte account takes no coupons: no coupons path is set in the "
                              "connection settings (paths.coupons)")
        records = [self._payload("coupon", {
            "code": c.code, "name": c.name, "discount_type": c.discount_type, "percent_off": c.percent_off,
            "amount_off": c.amount_off, "currency": c.currency,
            "valid_from": c.valid_from.isoformat() if c.valid_from else None,
            "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            "skus": c.skus, "fridge_ids": c.location_external_ids, "active": c.active,
        }) for c in coupons]
        self._request(self.config.get("coupons_method", "POST"), self.paths["coupons"],
                      body=self._wrap(self.fields["coupons_list"], records),
                      headers={"Idempotency-Key": idempotency_key})
