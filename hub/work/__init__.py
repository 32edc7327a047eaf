"""Leased work items: the one engine behind polls, action deliveries, hook deliveries and action callbacks.

Every item is a database row (the record of work); a job runs one item under a lease,
writes its outcome only while the lease is still its own, and failures are retried by
their kind and the vendor's Retry-After until they succeed or are dead-lettered. A sweep
queues what came due and what was lost, asking the queue first so a job still waiting
there is not queued twice.

- failures: the error kinds and Retry-After, shared with the connectors.
- backoff: a kind's retry schedule.
- kind: what a kind declares (table, job, lease, backoff) and the SQL that follows; TaskKind
  for work retried until done or dead. The kinds themselves live with their specifics:
  POLLS in hub.polling, ACTION_DELIVERIES in hub.deliveries, HOOK_DELIVERIES in hub.hooks.kind,
  ACTION_CALLBACKS in hub.action_callbacks.kind.
- leases: claim, settle, fail, revive.
- queueing: enqueueing after commit, and the sweep (the scheduler runs one per kind).

This package's __init__ imports nothing, so the connectors can use `failures` without
loading the engine.
"""
