"""Action outcome callbacks: a run's JSON POSTed to its callback_url once every delivery has ended.

A kind of leased work (hub.work) with a state before pending: a callback waits until its run
has ended (no delivery pending or in progress), then is claimed, sent and retried like a hook.

- kind: the callback kind (claimable once its run has ended), its rows' life (created with the
  run, woken when a delivery ends, re-armed when the run is re-driven), the hub's signing secret.
- sender: the job that claims a callback, POSTs the signed run and records the outcome.
"""
