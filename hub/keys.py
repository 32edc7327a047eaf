"""API keys: hub_<prefix>_<secret>, stored as the prefix and a SHA-256 of the secret."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import string
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db import Database, on_commit
from hub.models import ApiKey, Connection, utcnow

SCOPES = ("automation", "pos", "admin")
_ALPHABET = string.ascii_letters + string.digits


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _hash(secret: str) -> str:
    # Keys carry ~238 bits of randomness, so a fast hash is safe; no slow KDF is needed.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the plaintext is shown once and never stored."""

    key: str
    record: ApiKey


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Principal:
    """Who is calling: the hub, the key and its scope, with the key's restrictions."""

    hub_id: str
    key_id: str
    scope: str
    connection_id: str | None
    allowed_networks: tuple[Network, ...] | None = None  # None: from anywhere
    expires_at: datetime | None = None


class KeyIssueError(ValueError):
    """A key cannot be created as asked."""


class KeyNetworkError(KeyIssueError):
    """An allowed network is not a CIDR; `index` is its position in the list given."""

    def __init__(self, index: int, value: object) -> None:
        super().__init__(f"allowed_networks[{index}]: {value!r} is not a network; give an IPv4 or IPv6 "
                         "address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32")
        self.index = index


class KeyNotFoundError(LookupError):
    """No active key with that id in the hub."""


class KeyRefused(Exception):  # noqa: N818 - a refusal, not a fault
    """A valid key used where or when it may not be: status 403 (network) or 401 (expired)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def normalise_networks(values: list[str] | tuple[str, ...] | None) -> list[str] | None:
    """CIDR strings, checked and normalised (host bits cleared); None or [] means from anywhere."""
    if not values:
        return None
    out: list[str] = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise KeyNetworkError(index, value)
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise KeyNetworkError(index, value) from None
        if str(network) not in out:
            out.append(str(network))
    return out


def _aware(when: datetime | None) -> datetime | None:
    """A time as aware UTC (a naive one is taken as UTC)."""
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def issue_key(
    session: Session, hub_id: str, scope: str, connection_id: str | None = None, name: str | None = None,
    allowed_networks: list[str] | None = None, expires_at: datetime | None = None,
) -> IssuedKey:
    """Create a key; pos keys must be bound to a connection of the same hub.

    allowed_networks: CIDRs the key works from (None: anywhere); expires_at: when it stops working.
    """
    networks = normalise_networks(allowed_networks)
    if scope not in SCOPES:
        raise KeyIssueError(f"scope must be one of {', '.join(SCOPES)}")
    if scope == "pos":
        if not connection_id:
            raise KeyIssueError("a pos key must be bound to a connection (--connection)")
        found = session.scalar(
            select(Connection.id).where(Connection.id == connection_id, Connection.hub_id == hub_id)
        )
        if not found:
            raise KeyIssueError(f"no connection {connection_id} in hub {hub_id}")
    elif connection_id:
        raise KeyIssueError("only pos keys are bound to a connection")
    prefix = _random(12)
    secret = _random(40)
    record = ApiKey(hub_id=hub_id, prefix=prefix, secret_hash=_hash(secret), scope=scope,
                    connection_id=connection_id, name=name, allowed_networks=networks,
                    expires_at=_aware(expires_at))
    session.add(record)
    session.flush()
    return IssuedKey(key=f"hub_{prefix}_{secret}", record=record)


def hub_keys(session: Session, hub_id: str) -> list[ApiKey]:
    """The hub's keys, oldest first (revoked ones too)."""
    return list(session.scalars(select(ApiKey).where(ApiKey.hub_id == hub_id).order_by(ApiKey.created_at)))


def parse_key(presented: str) -> tuple[str, str] | None:
    """Split hub_<prefix>_<secret>; None when it is not of that form."""
    parts = presented.strip().split("_")
    if len(parts) != 3 or parts[0] != "hub" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def _lookup(session: Session, presented: str) -> Principal | None:
    """The principal of a known, right, unrevoked key (expired or not, from anywhere)."""
    parsed = parse_key(presented)
    if parsed is None:
        return None
    prefix, secret = parsed
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if record is None or record.revoked_at is not None:
        return None
    if not hmac.compare_digest(record.secret_hash, _hash(secret)):
        return None
    return principal_of(record)


def principal_of(record: ApiKey) -> Principal:
    """The principal a stored key stands for, with its restrictions (whether or not it is usable now)."""
    networks = tuple(ipaddress.ip_network(n, strict=False) for n in record.allowed_networks or ()) or None
    return Principal(hub_id=record.hub_id, key_id=record.id, scope=record.scope,
                     connection_id=record.connection_id, allowed_networks=networks,
                     expires_at=_aware(record.expires_at))


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_key_use(principal: Principal, address: str | None, now: datetime | None = None) -> None:
    """Raise KeyRefused when the key has expired (401) or the address is outside its networks (403).

    The message names the rule, never the key.
    """
    now = now or utcnow()
    if principal.expires_at is not None and principal.expires_at <= now:
        raise KeyRefused(401, f"The API key expired at {principal.expires_at.isoformat()}.")
    if principal.allowed_networks is None:
        return
    rule = _words([str(n) for n in principal.allowed_networks])
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        raise KeyRefused(403, f"This key only works from {rule}; the request's address is unknown.") from None
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    if not any(c in n for c in candidates for n in principal.allowed_networks if c.version == n.version):
        raise KeyRefused(403, f"This key only works from {rule}; the request came from {address}.")


def authenticate(session: Session, presented: str, address: str | None = None) -> Principal | None:
    """The principal for a presented key, or None when it is unknown, wrong, revoked or expired,
    or (when an address is given) used from outside its allowed networks."""
    principal = _lookup(session, presented)
    if principal is None:
        return None
    # Without an address only the expiry is checked.
    checked = principal if address is not None else replace(principal, allowed_networks=None)
    try:
        check_key_use(checked, address)
    except KeyRefused:
        return None
    return principal


# Valid keys this process has checked, so a request costs no database round trip for its key. A key
# revoked here stops at once; revoked by another process (a web worker, the CLI), it stops within
# KEY_CACHE_SECONDS. Only valid keys are kept (an unknown or wrong key is looked up every time), under
# a hash of the presented key, never the key itself.
KEY_CACHE_SECONDS = 2.0
_KEY_CACHE_MAX = 10_000
_key_cache: dict[str, tuple[Principal, float]] = {}
_key_cache_lock = threading.Lock()


def authenticate_cached(db: Database, presented: str, address: str | None = None) -> Principal | None:
    """The principal of a known, right, unrevoked key, answered from this process's cache while fresh;
    None for an unknown, wrong or revoked key.

    Raises KeyRefused for an expired key (401) or one used from outside its networks (403): the cached
    principal carries its expiry and networks, and they are checked on every call, cached or not.
    """
    digest = _hash(presented)
    cached = _key_cache.get(digest)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        check_key_use(cached[0], address)
        return cached[0]
    with db.session() as session:
        principal = _lookup(session, presented)
    with _key_cache_lock:
        if principal is None:
            _key_cache.pop(digest, None)
        else:
            if len(_key_cache) >= _KEY_CACHE_MAX:
                _key_cache.clear()
            _key_cache[digest] = (principal, now + KEY_CACHE_SECONDS)
    if principal is not None:
        check_key_use(principal, address)
    return principal


def forget_key(key_id: str) -> None:
    """Drop a key from this process's cache (it was revoked)."""
    with _key_cache_lock:
        for digest in [d for d, (p, _) in _key_cache.items() if p.key_id == key_id]:
            del _key_cache[digest]


def revoke_key(session: Session, key_id: str, hub_id: str | None = None) -> bool:
    """Revoke a key by id (within a hub when given); True when one was revoked.

    This process's key cache forgets it now and again at commit (a request may have cached it in
    between); other processes stop accepting it within KEY_CACHE_SECONDS.
    """
    stmt = update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    if hub_id:
        stmt = stmt.where(ApiKey.hub_id == hub_id)
    revoked = session.execute(stmt.values(revoked_at=utcnow())).rowcount == 1
    if revoked:
        forget_key(key_id)
        on_commit(session, lambda: forget_key(key_id))
    return revoked


def _active_key(session: Session, key_id: str, hub_id: str | None) -> ApiKey:
    stmt = select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    if hub_id:
        stmt = stmt.where(ApiKey.hub_id == hub_id)
    record = session.scalar(stmt)
    if record is None:
        raise KeyNotFoundError(f"no active key {key_id}" + (f" in hub {hub_id}" if hub_id else ""))
    return record


def _forget_now_and_at_commit(session: Session, key_id: str) -> None:
    forget_key(key_id)
    on_commit(session, lambda: forget_key(key_id))


def restrict_key(session: Session, key_id: str, hub_id: str | None, allowed_networks: list[str] | None,
                 expires_at: datetime | None) -> ApiKey:
    """Set an active key's allowed networks (None or []: anywhere) and expiry (None: never).

    Raises KeyNetworkError (a ValueError, with the index) for a bad CIDR, KeyNotFoundError for no such
    active key. Other processes apply the change within KEY_CACHE_SECONDS.
    """
    networks = normalise_networks(allowed_networks)
    record = _active_key(session, key_id, hub_id)
    record.allowed_networks = networks
    record.expires_at = _aware(expires_at)
    session.flush()
    _forget_now_and_at_commit(session, key_id)
    return record


def rotate_key(session: Session, key_id: str, hub_id: str | None, overlap_seconds: float) -> IssuedKey:
    """Issue a replacement with the same scope, name, connection and restrictions; the old key expires
    overlap_seconds from now (0: at once; never later than it already would). Both work meanwhile."""
    if overlap_seconds < 0:
        raise KeyIssueError("overlap_seconds must be 0 or more")
    old = _active_key(session, key_id, hub_id)
    issued = issue_key(session, old.hub_id, old.scope, old.connection_id, old.name,
                       allowed_networks=old.allowed_networks, expires_at=old.expires_at)
    ends = utcnow() + timedelta(seconds=overlap_seconds)
    current = _aware(old.expires_at)
    old.expires_at = ends if current is None or current > ends else current
    session.flush()
    _forget_now_and_at_commit(session, key_id)
    return issued


# Last use of each key, kept in this process's memory: a request only notes it here. The stored
# last_used_at / last_used_address are written after the response, in a short transaction of their
# own, at most once a minute per key and process (and only when the stored value is older than that).
USAGE_FLUSH_SECONDS = 60.0
_usage: dict[str, tuple[datetime, str | None]] = {}
_usage_flushed: dict[str, float] = {}
_usage_lock = threading.Lock()


def note_key_use(key_id: str, address: str | None) -> bool:
    """Remember a use of the key; True when its stored last use is due to be written (flush_key_use)."""
    now = time.monotonic()
    with _usage_lock:
        if len(_usage) >= _KEY_CACHE_MAX:
            _usage.clear()
            _usage_flushed.clear()
        _usage[key_id] = (utcnow(), address)
        last = _usage_flushed.get(key_id)
        if last is not None and now - last < USAGE_FLUSH_SECONDS:
            return False
        _usage_flushed[key_id] = now
        return True


def flush_key_use(db: Database, key_id: str) -> None:
    """Write the key's last use noted in memory, unless the stored one is under a minute old."""
    with _usage_lock:
        noted = _usage.get(key_id)
    if noted is None:
        return
    when, address = noted
    threshold = when - timedelta(seconds=USAGE_FLUSH_SECONDS)
    with db.session() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id,
                   (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < threshold))
            .values(last_used_at=when, last_used_address=address)
        )
