"""Idempotency-Key on POST requests: a retried request gets the first answer and does nothing more.

Keys belong to the API key that sent them (as in Stripe's API): two POS keys of one hub that
happen to pick the same key each get their own answer.

The record is inserted first, in the same transaction as the request's work, under the
primary key (api_key_id, key). A concurrent duplicate therefore waits on that key (PostgreSQL's
unique index; SQLite's single writer) until the first commits, then finds the stored answer
and replays it; if the first fails, its record rolls back with its work and the duplicate
simply runs. So an answer is stored exactly when its work is committed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Response, request
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hub.auth import current_principal
from hub.claims import claim
from hub.db import Database
from hub.errors import ProblemError
from hub.models import IdempotencyRecord, utcnow
from hub.runtime import get_runtime

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def request_hash() -> str:
    """SHA-256 of the method, path and canonical JSON body (key order and spacing do not matter)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(part + b"\n")
    return digest.hexdigest()


def presented_key() -> str | None:
    """The request's Idempotency-Key, or None; 400 when it is empty or too long."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ProblemError(400, f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} characters.",
                           errors=[{"path": "", "message": f"{HEADER} must be 1 to {MAX_KEY_LENGTH} "
                                    "characters"}])
    return key


def json_response(status: int, body: Any, *, replayed: bool = False) -> Response:
    """A JSON response; replays say so in Idempotent-Replayed."""
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _sealed(body: Any, fields: Iterable[str], seal: Callable[[Any], Any]) -> Any:
    """The body with each named top-level field passed through seal (encrypt or decrypt)."""
    if not isinstance(body, dict):
        return body
    return {name: seal(value) if name in fields else value for name, value in body.items()}


def idempotent(session: Session, hub_id: str, produce: Callable[[], tuple[int, Any]], *,
               sealed: tuple[str, ...] = ()) -> Response:
    """Run produce() once per Idempotency-Key of the calling API key, inside the caller's transaction.

    produce returns (status, JSON body) and does its work in `session`; the answer is stored with
    that work. The same key with the same request replays the stored answer; with another
    request it is a 409. Fields named in `sealed` (secrets) are stored encrypted, never in plain text.
    """
    key = presented_key()
    if key is None:
        return json_response(*produce())
    digest = request_hash()
    api_key_id = current_principal().key_id
    if not claim(session, IdempotencyRecord, api_key_id=api_key_id, key=key, hub_id=hub_id,
                 request_hash=digest, status_code=None, response_body=None, created_at=utcnow()):
        record = session.execute(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key)
            .execution_options(populate_existing=True)
        ).scalar_one()
        if record.request_hash != digest:
            raise ProblemError(
                409, f"This {HEADER} was already used for a different request. Send a new key for a new "
                "request, or repeat the first request exactly to get its answer again.",
                errors=[{"path": "", "message": f"{HEADER} {key!r} was used with another method, path or "
                         "body"}])
        if record.status_code is None:
            raise ProblemError(409, f"A request with this {HEADER} is still in progress; try again shortly.",
                               headers={"Retry-After": "1"})
        body = _sealed(record.response_body, sealed, get_runtime().vault.decrypt_json)
        return json_response(record.status_code, body, replayed=True)
    status, body = produce()
    # Our own claimed row, written by its key without reading it back (one round trip).
    session.execute(update(IdempotencyRecord)
                    .where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key)
                    .values(status_code=status,
                            response_body=_sealed(body, sealed, get_runtime().vault.encrypt_json))
                    .execution_options(synchronize_session=False))
    return json_response(status, body)


def purge_expired(db: Database, now: datetime | None = None) -> int:
    """Delete records older than KEEP_FOR; returns how many."""
    cutoff = (now or utcnow()) - KEEP_FOR
    with db.session() as session:
        result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
        return result.rowcount
