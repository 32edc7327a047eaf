"""REST hooks (instant triggers): a kind of leased work (hub.work) with its outbox, signing and safe sending.

- kind: hook deliveries as leased work (table, job, lease, retry schedule); the engine's sweep
  re-enqueues deliveries that are due or whose job was lost.
- outbox: an event listener (registered by the runtime) that records one HookDelivery per matching
  subscription in the event's own transaction, and enqueues its job after commit.
- delivery: the job that claims a delivery, POSTs the signed item and records the outcome.
- targets / sender: target URL checks (no private addresses) and the pinned, redirect-free POST.
- signing: Standard Webhooks secrets and signatures.
"""
