"""The callback job: claim a callback whose run has ended, POST the signed run, record the outcome.

The body is the run exactly as GET /v1/actions/<id> answers at that moment (its callback field
then says in_progress). Sent through the hooks' address policy and sender, signed with the hub's
callback secret per Standard Webhooks; answers are classified as for hooks, and a 410 (the
receiver is gone for good, as Zapier says of a used callback URL) is final at once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from hub.action_callbacks.kind import ACTION_CALLBACKS, callback_secret
from hub.deliveries import run_payload
from hub.hooks.delivery import answer_failure, record_outcome, send_signed
from hub.models import ActionCallback, ActionRun, utcnow
from hub.observability.metrics import timed_job
from hub.runtime import get_runtime
from hub.work.failures import ErrorKind, Failure
from hub.work.leases import claim


@timed_job("callback", delivery=True)
def send_callback(callback_id: str, now: datetime | None = None) -> str | None:
    """Send the callback if its run has ended and it is unclaimed; its new status, or None if not claimed."""
    rt = get_runtime()
    now = now or utcnow()
    with rt.db.session() as session:
        lease = claim(session, ACTION_CALLBACKS, callback_id, now)
        if lease is None:
            return None
        callback = session.get(ActionCallback, callback_id)
        run = session.get(ActionRun, callback.action_run_id)
        payload = run_payload(session, run)
        secret = callback_secret(session, rt.vault, callback.hub_id)
        url = callback.url
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    # One message id per outcome (the same across its retries), so a receiver can drop repeats.
    outcome = json.dumps({k: v for k, v in payload.items() if k != "callback"}, sort_keys=True)
    message_id = f"{callback_id}_{hashlib.sha256(outcome.encode()).hexdigest()[:16]}"
    answer = send_signed(url, secret, message_id, body)
    if isinstance(answer, Failure):
        return record_outcome(ACTION_CALLBACKS, lease, now, answer)
    failure = answer_failure(answer, now)
    if answer.status == 410:
        failure = Failure(ErrorKind.PERMANENT, failure.message)
    return record_outcome(ACTION_CALLBACKS, lease, now, failure, answer.status)
