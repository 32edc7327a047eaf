"""Metrics for Prometheus: what each process counts (metrics), what is read at scrape time from the
database and Redis (collectors), and how a scrape is answered (exposition).

`metrics` imports nothing of the hub, so every module may count without an import cycle.
"""
