"""Support-staff operations on hubs, connections and locations (used by the CLI and admin API)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.connection_health import reset_backoff
from hub.connectors import CONNECTORS, connector_class
from hub.connectors.base import Connector, ConnectorError
from hub.crypto import Vault
from hub.models import Connection, Hub, Location
from hub.polling import poll_now

if TYPE_CHECKING:
    from hub.runtime import Runtime


class AdminError(ValueError):
    """An admin operation was asked for with bad arguments; the message says which.

    ``problems`` are the single problems ('settings/base_url: reason' lines), so a form can show each
    next to its field.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


def schema_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every violation of a (connector settings) schema, as 'path: message' lines."""
    validator = Draft202012Validator(schema)
    return [
        f"/{'/'.join(str(p) for p in err.absolute_path)}: {err.message}"
        for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


DEFAULT_TIMEZONE = "UTC"
DEFAULT_CURRENCY = "EUR"


def check_timezone(name: str) -> str:
    """The IANA time zone name, or AdminError saying what is wrong."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        message = f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        raise AdminError(message) from None
    return name


def check_currency(code: str) -> str:
    """The ISO 4217 currency code, or AdminError."""
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise AdminError(f"currency {code!r} must be a three-letter ISO 4217 code in capitals, such as EUR")
    return code


def create_hub(session: Session, name: str, timezone: str = DEFAULT_TIMEZONE,
               currency: str = DEFAULT_CURRENCY) -> Hub:
    """Create a hub (one customer account) with its time zone and currency."""
    if not name.strip():
        raise AdminError("a hub needs a name")
    hub = Hub(name=name.strip(), event_seq=0, timezone=check_timezone(timezone),
              currency=check_currency(currency))
    session.add(hub)
    session.flush()
    return hub


def update_hub(session: Session, hub_id: str, name: str | None = None, timezone: str | None = None,
               currency: str | None = None) -> Hub:
    """Change a hub's name, time zone or currency (None: unchanged)."""
    hub = get_hub(session, hub_id)
    if name is not None:
        if not name.strip():
            raise AdminError("a hub needs a name")
        hub.name = name.strip()
    if timezone is not None:
        hub.timezone = check_timezone(timezone)
    if currency is not None:
        hub.currency = check_currency(currency)
    session.flush()
    return hub


def get_hub(session: Session, hub_id: str) -> Hub:
    """The hub, or AdminError."""
    hub = session.get(Hub, hub_id)
    if hub is None:
        raise AdminError(f"no hub {hub_id}")
    return hub


def add_connection(
    session: Session,
    vault: Vault,
    hub_id: str,
    type_name: str,
    name: str,
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> Connection:
    """Add a POS connection after checking its settings and credentials against its connector."""
    get_hub(session, hub_id)
    cls = connector_class(type_name)
    if cls is None:
        known = ", ".join(c.type for c in CONNECTORS)
        raise AdminError(f"unknown connection type {type_name!r}; known types: {known}")
    config = config or {}
    credentials = credentials or {}
    problems = [f"settings{e}" for e in schema_errors(cls.settings_schema, config)]
    problems += [f"credentials{e}" for e in schema_errors(cls.credentials_schema, credentials)]
    problems += _outbound_url_problems(cls, config)
    if problems:
        raise AdminError("; ".join(problems), problems)
    connection = Connection(
        hub_id=hub_id,
        type=type_name,
        name=name,
        config=config,
        credentials_encrypted=vault.encrypt_json(credentials) if credentials else None,
        poll_interval_seconds=cls.default_poll_interval_seconds or 0,
    )
    session.add(connection)
    session.flush()
    return connection


def update_connection(
    session: Session,
    vault: Vault,
    connection: Connection,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> Connection:
    """Rename a connection or replace its settings or credentials (checked like a new connection's).

    New settings or credentials make it due for a poll at once with a fresh backoff, so a connection
    that needs attention comes back as soon as the fix works (hub.connection_health).
    """
    cls = connector_class(connection.type)
    problems: list[str] = []
    if cls is not None and config is not None:
        problems += [f"settings{e}" for e in schema_errors(cls.settings_schema, config)]
        problems += _outbound_url_problems(cls, config)
    if cls is not None and credentials is not None:
        problems += [f"credentials{e}" for e in schema_errors(cls.credentials_schema, credentials)]
    if problems:
        raise AdminError("; ".join(problems), problems)
    if name is not None:
        connection.name = name
    if config is not None:
        connection.config = config
    if credentials is not None:
        connection.credentials_encrypted = vault.encrypt_json(credentials) if credentials else None
    if config is not None or credentials is not None:
        for column, value in reset_backoff().items():
            setattr(connection, column, value)
    session.flush()
    return connection


def find_connection(session: Session, hub_id: str, connection_id: str) -> Connection | None:
    """One of the hub's connections, or None (another hub's connection is as unknown as a missing one)."""
    return session.scalar(
        select(Connection).where(Connection.id == connection_id, Connection.hub_id == hub_id)
    )


@dataclass(frozen=True)
class ConnectionCheck:
    """Whether the POS answered a test call; when not, the error's kind and whose fault it is."""

    ok: bool
    message: str
    error_kind: str | None = None
    fault: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The admin API's answer (admin/connection_test.output.json)."""
        return {"ok": True, "message": self.message} if self.ok else {
            "ok": False, "error_kind": self.error_kind, "message": self.message}


def check_connection(connector: Connector) -> ConnectionCheck:
    """Call the POS with the connection's stored settings and credentials and say whether it answered."""
    try:
        connector.test_connection()
    except ConnectorError as exc:
        return ConnectionCheck(False, exc.message, exc.kind.value, exc.fault.value)
    return ConnectionCheck(True, f"{connector.title} answered.")


def start_poll(rt: Runtime, connection_id: str) -> tuple[bool, str]:
    """Poll a connection now instead of at its next interval: whether a poll started, and in words."""
    started = poll_now(rt, connection_id)
    return started, "polling now" if started else "a poll of this connection is already running"


def _outbound_url_problems(cls: type[Connector], config: dict[str, Any]) -> list[str]:
    """URLs the hub will call must pass the outbound policy (no SSRF into the hub's own network)."""
    from hub.runtime import get_runtime

    return cls.outbound_problems(config, get_runtime().settings.outbound_allowed_hosts)


def add_location(session: Session, hub_id: str, connection_id: str, external_id: str, name: str) -> Location:
    """Add a location reached through one of the hub's connections."""
    connection = find_connection(session, hub_id, connection_id)
    if connection is None:
        raise AdminError(f"no connection {connection_id} in hub {hub_id}")
    existing = session.scalar(
        select(Location).where(Location.connection_id == connection_id, Location.external_id == external_id)
    )
    if existing is not None:
        raise AdminError(f"connection {connection_id} already has a location {external_id!r} ({existing.id})")
    location = Location(hub_id=hub_id, connection_id=connection_id, external_id=external_id, name=name)
    session.add(location)
    session.flush()
    return location
