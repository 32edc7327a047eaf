"""State read at scrape time: rq queues from Redis, connections and dead letters from the database.

These are custom collectors (prometheus_client calls collect() on each scrape), so what they report is
never stale and no process has to keep it up to date. Each reads in a bounded number of round trips:
one pipeline (and one more for the oldest jobs) on Redis; one query for the connections, one for the
dead letters. A failed read reports hub_collector_up 0 for that collector instead of failing the scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, literal, select, union_all

from hub.models import ActionCallback, Connection, Delivery, HookDelivery, OrderDelivery, utcnow
from hub.runtime import Runtime, get_runtime
from hub.work.kind import DEAD

log = logging.getLogger(__name__)

# At most this many connections are reported (the most recently created first are dropped), so a
# scrape stays bounded whatever the size of the fleet: three series per connection.
MAX_CONNECTIONS = 5000
DEAD_LETTER_TABLES = {"action": Delivery, "hook": HookDelivery, "order": OrderDelivery,
                      "callback": ActionCallback}


def _age(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max((now - then).total_seconds(), 0.0)


def _up(name: str, ok: bool) -> GaugeMetricFamily:
    up = GaugeMetricFamily("hub_collector_up", "1 when the collector could read its source at this scrape.",
                           labels=["collector"])
    up.add_metric([name], 1.0 if ok else 0.0)
    return up


class _StateCollector(Collector):
    name = ""

    def __init__(self, runtime: Callable[[], Runtime] = get_runtime) -> None:
        self._runtime = runtime

    def read(self, rt: Runtime) -> list[GaugeMetricFamily]:
        raise NotImplementedError

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The families read now, and whether the read worked."""
        try:
            families = self.read(self._runtime())
        except Exception:  # noqa: BLE001 - a scrape must still answer; the outage shows as up 0
            log.warning("metrics collector %s could not read", self.name, exc_info=True)
            yield _up(self.name, False)
            return
        yield from families
        yield _up(self.name, True)


class QueueCollector(_StateCollector):
    """Jobs waiting and the age of the oldest, per rq queue (this deployment's prefix taken off)."""

    name = "queues"

    def read(self, rt: Runtime) -> list[GaugeMetricFamily]:
        depth = GaugeMetricFamily("hub_queue_jobs", "Jobs waiting in the rq queue.", labels=["queue"])
        age = GaugeMetricFamily("hub_queue_oldest_job_age_seconds",
                                "Seconds the oldest waiting job of the queue has waited (0 when empty).",
                                labels=["queue"])
        rq_queue = getattr(rt.queue, "rq_queue", None)
        if rq_queue is None:  # the in-process pool: no queue to read
            return []
        from rq import Queue
        from rq.job import Job
        from rq.utils import utcparse

        redis, prefix = rt.queue.redis, rt.queue.prefix
        keys = sorted(k.decode() for k in redis.smembers(Queue.redis_queues_keys))
        names = [key.removeprefix(Queue.redis_queue_namespace_prefix) for key in keys]
        names = [name.removeprefix(prefix) for name in names if name.startswith(prefix)]
        pipe = redis.pipeline(transaction=False)
        for name in names:
            key = Queue.redis_queue_namespace_prefix + prefix + name
            pipe.llen(key)
            pipe.lindex(key, 0)
        heads = pipe.execute()
        pipe = redis.pipeline(transaction=False)
        for head in heads[1::2]:
            if head:
                pipe.hget(Job.key_for(head.decode()), "enqueued_at")
            else:
                pipe.echo(b"")  # keeps the answers in step with the queues
        enqueued = pipe.execute()
        now = datetime.now(UTC)
        for name, length, when in zip(names, heads[0::2], enqueued, strict=True):
            depth.add_metric([name], float(length))
            age.add_metric([name], (_age(now, utcparse(when.decode())) or 0.0) if when else 0.0)
        return [depth, age]


class ConnectionCollector(_StateCollector):
    """Per connection (labels: id and type): polling freshness, last contact, failures; dead letters."""

    name = "database"

    def read(self, rt: Runtime) -> list[GaugeMetricFamily]:
        labels = ["connection_id", "type"]
        polled = GaugeMetricFamily(
            "hub_connection_last_poll_age_seconds",
            "Seconds since the connection's last successful poll (since it was added, if never); "
            "polled connections only.", labels=labels)
        interval = GaugeMetricFamily("hub_connection_poll_interval_seconds",
                                     "The connection's poll interval; polled connections only.",
                                     labels=labels)
        contact = GaugeMetricFamily("hub_connection_last_contact_age_seconds",
                                    "Seconds since the POS was last heard from (poll, push or callback).",
                                    labels=labels)
        failures = GaugeMetricFamily("hub_connection_consecutive_failures",
                                     "Polls failed in a row (0 once one succeeds).", labels=labels)
        dead = GaugeMetricFamily("hub_dead_letters", "Deliveries given up (dead) and not replayed, by kind.",
                                 labels=["kind"])
        now = utcnow()
        with rt.db.session() as session:
            rows = session.execute(
                select(Connection.id, Connection.type, Connection.poll_interval_seconds,
                       Connection.last_polled_at, Connection.created_at, Connection.last_contact_at,
                       Connection.consecutive_failures)
                .order_by(Connection.created_at).limit(MAX_CONNECTIONS)).all()
            counts = session.execute(union_all(*(
                select(literal(kind).label("kind"), func.count().label("n"))
                .select_from(table).where(table.status == DEAD)
                for kind, table in DEAD_LETTER_TABLES.items()))).all()
        for row in rows:
            key = [row.id, row.type]
            if row.poll_interval_seconds > 0:
                polled.add_metric(key, _age(now, row.last_polled_at or row.created_at) or 0.0)
                interval.add_metric(key, float(row.poll_interval_seconds))
            if (seconds := _age(now, row.last_contact_at)) is not None:
                contact.add_metric(key, seconds)
            failures.add_metric(key, float(row.consecutive_failures or 0))
        for kind, n in counts:
            dead.add_metric([kind], float(n))
        return [polled, interval, contact, failures, dead]
