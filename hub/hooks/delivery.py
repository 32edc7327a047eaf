"""The hook delivery job: claim with a lease, POST the signed item, record the outcome.

Claims, outcomes and retries are the work engine's (hub.work); what is particular to hooks is
the send, how an answer is classified, and that a 410 deletes the subscription.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import delete, select

from hub.hooks.kind import HOOK_DELIVERIES
from hub.hooks.sender import Answer, SendFailed, post
from hub.hooks.signing import signature_headers
from hub.hooks.targets import UnsafeTarget, check_target
from hub.models import Event, HookDelivery, HookSubscription, utcnow
from hub.runtime import get_runtime
from hub.work.failures import ErrorKind, Failure, parse_retry_after
from hub.work.kind import SUCCEEDED, Lease
from hub.work.leases import claim, fail, settle
from triggers.base import trigger_item

log = logging.getLogger(__name__)


def deliver(delivery_id: str, now: datetime | None = None) -> str | None:
    """Send one delivery if it is due and unclaimed; returns its new status, or None if not claimed."""
    rt = get_runtime()
    now = now or utcnow()
    with rt.db.session() as session:
        lease = claim(session, HOOK_DELIVERIES, delivery_id, now)
        if lease is None:
            return None
        row = session.execute(
            select(HookSubscription.id, HookSubscription.target_url, HookSubscription.secret_encrypted,
                   Event.id, Event.payload)
            .select_from(HookDelivery)
            .join(HookSubscription, HookSubscription.id == HookDelivery.subscription_id)
            .join(Event, Event.id == HookDelivery.event_id)
            .where(HookDelivery.id == delivery_id)
        ).one_or_none()
    if row is None:  # unsubscribed in the meantime: its deliveries went with it
        return None
    subscription_id, target_url, secret_encrypted, event_id, payload = row

    body = json.dumps(trigger_item(event_id, payload), separators=(",", ":"), ensure_ascii=False)
    try:
        target = check_target(target_url, rt.settings.hook_allowed_hosts)
        headers = signature_headers(rt.vault.decrypt_json(secret_encrypted), delivery_id, utcnow(), body)
        answer = post(target, body.encode("utf-8"), headers)
    except (UnsafeTarget, SendFailed) as exc:
        error = f"refused: {exc}" if isinstance(exc, UnsafeTarget) else str(exc)
        return _record(lease, now, Failure(ErrorKind.TRANSIENT, error))
    except Exception:  # noqa: BLE001 - recorded as a failed attempt so the schedule still ends
        log.exception("hook delivery %s failed unexpectedly", delivery_id)
        return _record(lease, now, Failure(ErrorKind.TRANSIENT, "internal error while sending"))
    if answer.status == 410:
        _unsubscribe(subscription_id)
        log.info("hook %s answered 410 Gone; subscription deleted", subscription_id)
        return "unsubscribed"
    return _record(lease, now, _failure(answer, now), last_status_code=answer.status)


def _failure(answer: Answer, now: datetime) -> Failure | None:
    """None for a 2xx; 429 and 503 wait for their Retry-After; every other answer is retried."""
    if 200 <= answer.status < 300:
        return None
    text = " ".join(answer.text.split())[:300]
    message = f"target answered HTTP {answer.status}" + (f": {text}" if text else "")
    if answer.status in (429, 503):
        retry_after = parse_retry_after(answer.headers.get("retry-after"), now)
        return Failure(ErrorKind.RATE_LIMITED, message, retry_after)
    return Failure(ErrorKind.TRANSIENT, message)


def _record(lease: Lease, now: datetime, failure: Failure | None,
            last_status_code: int | None = None) -> str | None:
    """Write the attempt's outcome while the lease holds; the new status, or None when the lease was lost."""
    with get_runtime().db.session() as session:
        if failure is not None:
            return fail(session, HOOK_DELIVERIES, lease, failure, now, last_status_code=last_status_code)
        written = settle(session, HOOK_DELIVERIES, lease, status=SUCCEEDED, last_status_code=last_status_code,
                         last_error=None, next_attempt_at=None)
    return SUCCEEDED if written else None


def _unsubscribe(subscription_id: str) -> None:
    with get_runtime().db.session() as session:
        session.execute(delete(HookDelivery).where(HookDelivery.subscription_id == subscription_id))
        session.execute(delete(HookSubscription).where(HookSubscription.id == subscription_id))
