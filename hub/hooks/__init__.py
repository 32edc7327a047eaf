"""REST hooks (instant triggers): the outbox of deliveries, signing, safe sending, retries and the sweep.

- outbox: an event listener that records one HookDelivery per matching subscription in the
  event's own transaction, and enqueues its job after commit.
- delivery: the job that claims a delivery with a lease, POSTs the signed item and records the outcome.
- targets / sender: target URL checks (no private addresses) and the pinned, redirect-free POST.
- signing: Standard Webhooks secrets and signatures.
- schedule: the retry schedule.
- sweep: re-enqueues deliveries that are due or whose job was lost.
"""
