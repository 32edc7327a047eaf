"""The delivery job: claim with a lease, POST the signed item, record the outcome.

The claim is a compare-and-set UPDATE, so a duplicated job or two workers never send one
delivery concurrently; the outcome is written only while the lease is still ours.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update

from hub.hooks.schedule import parse_retry_after, retry_delay
from hub.hooks.sender import Answer, SendFailed, post
from hub.hooks.signing import signature_headers
from hub.hooks.targets import UnsafeTarget, check_target
from hub.models import Event, HookDelivery, HookSubscription, utcnow
from hub.runtime import get_runtime
from triggers.base import trigger_item

log = logging.getLogger(__name__)

# Longer than the send's own timeouts, so a live job never loses its lease mid-send.
LEASE = timedelta(seconds=60)


def deliver(delivery_id: str, now: datetime | None = None) -> str | None:
    """Send one delivery if it is due and unclaimed; returns its new status, or None if not claimed."""
    rt = get_runtime()
    now = now or utcnow()
    lease_until = now + LEASE
    with rt.db.session() as session:
        claimed = session.execute(
            update(HookDelivery).where(
                HookDelivery.id == delivery_id,
                or_(and_(HookDelivery.status == "pending", HookDelivery.next_attempt_at <= now),
                    and_(HookDelivery.status == "in_progress", HookDelivery.leased_until < now)))
            .values(status="in_progress", leased_until=lease_until, attempts=HookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if not claimed:
            return None
        row = session.execute(
            select(HookDelivery.attempts, HookSubscription.id, HookSubscription.target_url,
                   HookSubscription.secret_encrypted, Event.id, Event.payload)
            .join(HookSubscription, HookSubscription.id == HookDelivery.subscription_id)
            .join(Event, Event.id == HookDelivery.event_id)
            .where(HookDelivery.id == delivery_id)
        ).one_or_none()
    if row is None:  # unsubscribed in the meantime: its deliveries went with it
        return None
    attempts, subscription_id, target_url, secret_encrypted, event_id, payload = row

    body = json.dumps(trigger_item(event_id, payload), separators=(",", ":"), ensure_ascii=False)
    try:
        target = check_target(target_url, rt.settings.hook_allowed_hosts)
        headers = signature_headers(rt.vault.decrypt_json(secret_encrypted), delivery_id, utcnow(), body)
        answer = post(target, body.encode("utf-8"), headers)
    except (UnsafeTarget, SendFailed) as exc:
        error = f"refused: {exc}" if isinstance(exc, UnsafeTarget) else str(exc)
        return _retry_or_die(delivery_id, lease_until, attempts, now, error, None, None)
    except Exception:  # noqa: BLE001 - recorded as a failed attempt so the schedule still ends
        log.exception("hook delivery %s failed unexpectedly", delivery_id)
        error = "internal error while sending"
        return _retry_or_die(delivery_id, lease_until, attempts, now, error, None, None)
    status_code = answer.status
    if 200 <= status_code < 300:
        return _finish(delivery_id, lease_until, status="succeeded", last_status_code=status_code,
                       last_error=None, next_attempt_at=None)
    if status_code == 410:
        _unsubscribe(subscription_id)
        log.info("hook %s answered 410 Gone; subscription deleted", subscription_id)
        return "unsubscribed"
    retry_after = None
    if status_code in (429, 503):
        retry_after = parse_retry_after(answer.headers.get("retry-after"), now)
    error = _answer_error(answer)
    return _retry_or_die(delivery_id, lease_until, attempts, now, error, status_code, retry_after)


def _answer_error(answer: Answer) -> str:
    text = " ".join(answer.text.split())[:300]
    return f"target answered HTTP {answer.status}" + (f": {text}" if text else "")


def _retry_or_die(delivery_id: str, lease_until: datetime, attempts: int, now: datetime, error: str,
                  status_code: int | None, retry_after: float | None) -> str | None:
    delay = retry_delay(attempts, retry_after)
    outcome = {"last_status_code": status_code, "last_error": error}
    if delay is None:
        return _finish(delivery_id, lease_until, status="dead", next_attempt_at=None, **outcome)
    return _finish(delivery_id, lease_until, status="pending", next_attempt_at=now + timedelta(seconds=delay),
                   **outcome)


def _finish(delivery_id: str, lease_until: datetime, **values: object) -> str | None:
    """Write the outcome unless the lease expired and another worker took the delivery over."""
    with get_runtime().db.session() as session:
        written = session.execute(
            update(HookDelivery).where(HookDelivery.id == delivery_id, HookDelivery.status == "in_progress",
                                       HookDelivery.leased_until == lease_until)
            .values(leased_until=None, **values).execution_options(synchronize_session=False)
        ).rowcount == 1
    return str(values["status"]) if written else None


def _unsubscribe(subscription_id: str) -> None:
    with get_runtime().db.session() as session:
        session.execute(delete(HookDelivery).where(HookDelivery.subscription_id == subscription_id))
        session.execute(delete(HookSubscription).where(HookSubscription.id == subscription_id))
