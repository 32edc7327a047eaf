"""API keys: hub_<prefix>_<secret>, stored as the prefix and a SHA-256 of the secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
import time
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Principal:
    """Who is calling: the hub, the key and its scope."""

    hub_id: str
    key_id: str
    scope: str
    connection_id: str | None


class KeyIssueError(ValueError):
    """A key cannot be created as asked."""


def issue_key(
    session: Session, hub_id: str, scope: str, connection_id: str | None = None, name: str | None = None
) -> IssuedKey:
    """Create a key; pos keys must be bound to a connection of the same hub."""
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
                    connection_id=connection_id, name=name)
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


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal for a presented key, or None when it is unknown, wrong or revoked."""
    parsed = parse_key(presented)
    if parsed is None:
        return None
    prefix, secret = parsed
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if record is None or record.revoked_at is not None:
        return None
    if not hmac.compare_digest(record.secret_hash, _hash(secret)):
        return None
    return Principal(hub_id=record.hub_id, key_id=record.id, scope=record.scope,
                     connection_id=record.connection_id)


# Valid keys this process has checked, so a request costs no database round trip for its key. A key
# revoked here stops at once; revoked by another process (a web worker, the CLI), it stops within
# KEY_CACHE_SECONDS. Only valid keys are kept (an unknown or wrong key is looked up every time), under
# a hash of the presented key, never the key itself.
KEY_CACHE_SECONDS = 2.0
_KEY_CACHE_MAX = 10_000
_key_cache: dict[str, tuple[Principal, float]] = {}
_key_cache_lock = threading.Lock()


def authenticate_cached(db: Database, presented: str) -> Principal | None:
    """authenticate(), answered from this process's cache of valid keys while an answer is fresh."""
    digest = _hash(presented)
    cached = _key_cache.get(digest)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return cached[0]
    with db.session() as session:
        principal = authenticate(session, presented)
    with _key_cache_lock:
        if principal is None:
            _key_cache.pop(digest, None)
        else:
            if len(_key_cache) >= _KEY_CACHE_MAX:
                _key_cache.clear()
            _key_cache[digest] = (principal, now + KEY_CACHE_SECONDS)
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
