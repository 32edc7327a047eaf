"""Hook deliveries as leased work: their table, the job that sends one, their lease and retry schedule."""

from __future__ import annotations

from datetime import timedelta

from hub.jobs import HOOK_DELIVERIES_QUEUE
from hub.models import HookDelivery
from hub.work.backoff import Backoff
from hub.work.kind import TaskKind

HOOK_DELIVERIES = TaskKind(
    name="hook",
    job="hub.hooks.delivery.deliver",
    queue=HOOK_DELIVERIES_QUEUE,
    table=HookDelivery,
    # Longer than the send's own timeouts, so a live job never loses its lease mid-send.
    lease=timedelta(seconds=60),
    # About a day of retries; a target's Retry-After is honoured up to 12 hours.
    backoff=Backoff(delays=(5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200), max_retry_after=43200),
    lost_after=timedelta(minutes=2),
)
