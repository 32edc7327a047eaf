"""Benchmarks of the hub: `python -m bench` (HTTP harness) and bench/run.py (in-process, SQL counts)."""
