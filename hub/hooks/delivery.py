"""The hook delivery job: claim with a lease, POST the signed item, record the outcome.

Claims, outcomes and retries are the work engine's (hub.work); what is particular to hooks is
the send, how an answer is classified, and that a 410 deletes the subscription.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from hub.hooks.kind import HOOK_DELIVERIES
from hub.hooks.sender import Answer, SendFailed, post
from hub.hooks.signing import signature_headers
from hub.hooks.targets import UnsafeTarget, check_target
from hub.models import Event, HookDelivery, HookSubscription, utcnow
from hub.observability.metrics import timed_job
from hub.runtime import get_runtime
from hub.work.failures import ErrorKind, Failure, parse_retry_after
from hub.work.kind import SUCCEEDED, Lease, TaskKind
from hub.work.leases import claim, fail, revive, settle
from triggers.base import trigger_item

log = logging.getLogger(__name__)


@timed_job("hook", delivery=True)
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
    answer = send_signed(target_url, rt.vault.decrypt_json(secret_encrypted), delivery_id, body)
    if isinstance(answer, Failure):
        return record_outcome(HOOK_DELIVERIES, lease, now, answer)
    if answer.status == 410:
        _unsubscribe(subscription_id)
        log.info("hook %s answered 410 Gone; subscription deleted", subscription_id)
        return "unsubscribed"
    return record_outcome(HOOK_DELIVERIES, lease, now, answer_failure(answer, now), answer.status)


def send_signed(url: str, secret: str, message_id: str, body: str) -> Answer | Failure:
    """POST the body, signed per Standard Webhooks, to a URL the address policy allows: the answer, or
    the failure to reach it (refused, unreachable, timed out)."""
    try:
        target = check_target(url, get_runtime().settings.hook_allowed_hosts)
        return post(target, body.encode("utf-8"), signature_headers(secret, message_id, utcnow(), body))
    except (UnsafeTarget, SendFailed) as exc:
        return Failure(ErrorKind.TRANSIENT, f"refused: {exc}" if isinstance(exc, UnsafeTarget) else str(exc))
    except Exception:  # noqa: BLE001 - recorded as a failed attempt so the schedule still ends
        log.exception("sending %s failed unexpectedly", message_id)
        return Failure(ErrorKind.TRANSIENT, "internal error while sending")


def answer_failure(answer: Answer, now: datetime) -> Failure | None:
    """None for a 2xx; 429 and 503 wait for their Retry-After; every other answer is retried."""
    if 200 <= answer.status < 300:
        return None
    text = " ".join(answer.text.split())[:300]
    message = f"target answered HTTP {answer.status}" + (f": {text}" if text else "")
    if answer.status in (429, 503):
        retry_after = parse_retry_after(answer.headers.get("retry-after"), now)
        return Failure(ErrorKind.RATE_LIMITED, message, retry_after)
    return Failure(ErrorKind.TRANSIENT, message)


def record_outcome(kind: TaskKind, lease: Lease, now: datetime, failure: Failure | None,
                   last_status_code: int | None = None) -> str | None:
    """Write a send's outcome while the lease holds; the new status, or None when the lease was lost."""
    with get_runtime().db.session() as session:
        if failure is not None:
            return fail(session, kind, lease, failure, now, last_status_code=last_status_code)
        written = settle(session, kind, lease, status=SUCCEEDED, last_status_code=last_status_code,
                         last_error=None, next_attempt_at=None)
    return SUCCEEDED if written else None


def _unsubscribe(subscription_id: str) -> None:
    with get_runtime().db.session() as session:
        session.execute(delete(HookDelivery).where(HookDelivery.subscription_id == subscription_id))
        session.execute(delete(HookSubscription).where(HookSubscription.id == subscription_id))


def replay_dead(session: Session, *where: ColumnElement[bool], now: datetime | None = None) -> list[str]:
    """Make the dead deliveries matching `where` pending again, due now, with fresh retries; their jobs
    run after commit. The ids replayed (none when no matching delivery is dead)."""
    now = now or utcnow()
    return revive(session, get_runtime().queue, HOOK_DELIVERIES, *where, now=now, due_at=now)
