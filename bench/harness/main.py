"""`python -m bench`: start the production shape and a bare-Flask baseline, drive both, print the table."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import scenarios, seed
from bench.harness.catchup import p6_catchup
from bench.harness.fanout import p4_fanout
from bench.harness.first_run import p0_first_run
from bench.harness.load import Driver
from bench.harness.report import Report, write_results
from bench.harness.servers import (
    REDIS_BASE,
    VENV_BIN,
    Database,
    Processes,
    flush_redis,
    free_port,
    gunicorn_argv,
    wait_drained,
    wait_http,
    wait_registered,
    wait_workers,
)

RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"
SCENARIOS = ("P0", "P1", "P2", "P3", "P4", "P5", "P6")
# The hot kinds: each scenario that measures one gets a pool of its own (the Procfile's per-kind workers).
POOLS = {"P3": "hook_deliveries", "P4": "action_deliveries", "P6": "polls:byte_fridge"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000, help="events seeded for P1 (default 1,000,000)")
    p.add_argument("--hubs", type=int, default=100, help="hubs the events are spread over (default 100)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per run (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up before each run (default 2)")
    p.add_argument("--connections", type=int, default=16, help="load generator connections (default 16)")
    p.add_argument("--web-workers", type=int, default=2,
                   help="gunicorn workers, hub and baseline (default 2)")
    p.add_argument("--rq-workers", type=int, default=1,
                   help="`python -m hub worker` processes on every queue but the hot kinds' (default 1)")
    p.add_argument("--pool", type=int, default=2,
                   help="`python -m hub worker --no-fork --queues <kind>` processes started for P3 (hook "
                        "deliveries), P4 (action deliveries) and P6 (byte_fridge polls) alone (default 2)")
    p.add_argument("--fork", action="store_true",
                   help="run the scenario pools as forking workers (without --no-fork), for comparison")
    p.add_argument("--rate-limit", type=int, default=100_000_000,
                   help="HUB_RATE_LIMIT_PER_MINUTE: high enough never to refuse, still counted in Redis")
    p.add_argument("--load", choices=("auto", "wrk", "python"), default="auto",
                   help="load generator: wrk (installed with apt-get when missing) or the Python fallback")
    p.add_argument("--only", default=",".join(SCENARIOS),
                   help="comma-separated scenarios (default all: P0,P1,P2,P3,P4,P5,P6)")
    p.add_argument("--p0-head", action="store_true",
                   help="P0 clones HEAD only (default: the working tree's uncommitted changes come along)")
    p.add_argument("--profile", action="store_true",
                   help="also profile P1 and P2 single in-process (cProfile, SQL counts, PostgreSQL time)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes and 1 s runs, to check the harness works")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="write bench/RESULTS.md (default: yes, except with --smoke)")
    args = p.parse_args(argv)
    if args.smoke:
        args.events, args.hubs = min(args.events, 2_000), min(args.hubs, 16)
        args.duration, args.warmup = 2.0, 0.0
    args.only = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    if args.write is None:  # P0 alone is no full table: RESULTS.md is kept unless --write
        args.write = not args.smoke and args.only != {"P0"}
    return args


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; every process, the database and the Redis db are cleaned up however it ends."""
    args = parse(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    procs = Processes(workdir)
    db = Database(f"bench_{os.getpid()}")
    redis_url = REDIS_BASE
    try:
        driver = Driver(args.load, args.connections, args.duration, args.warmup)
        report = run(args, driver, procs, db, redis_url, workdir)
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        return 130
    except Exception:
        print(f"logs kept in {workdir}", file=sys.stderr)
        workdir = None  # type: ignore[assignment]
        raise
    finally:
        procs.stop_all()
        for step in (db.drop, lambda: flush_redis(redis_url) if args.only - {"P0"} else None):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - cleanup reports and goes on
                print(f"cleanup: {exc}", file=sys.stderr)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report.text())
    if args.write:
        write_results(report, RESULTS)
        print(f"\nwritten to {RESULTS}")
    return 0


def run(args: argparse.Namespace, driver: Driver, procs: Processes, db: Database, redis_url: str,
        workdir: Path) -> Report:
    """Set up both servers, seed, run the chosen scenarios and return the report."""
    from cryptography.fernet import Fernet

    report = Report()
    if "P0" in args.only:  # needs no database or Redis of the run: `make run` uses SQLite
        p0_first_run(report, with_changes=not args.p0_head)
        if not args.only - {"P0"}:
            report.params = ["P0 alone: `make run` in a fresh clone (SQLite, in-process jobs)"]
            return report
    secret = Fernet.generate_key().decode()
    db.create()
    flush_redis(redis_url)
    env = {**os.environ, "DATABASE_URL": db.url, "REDIS_URL": redis_url, "HUB_SECRET_KEYS": secret,
           "HUB_RATE_LIMIT_PER_MINUTE": str(args.rate_limit), "HUB_HOOK_ALLOWED_HOSTS": "127.0.0.1",
           "HUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",  # P4 and P6 call a mock POS on loopback
           "PYTHONUNBUFFERED": "1"}
    seed.migrate(env)
    tenants = seed.create_tenants(db.url, secret, args.hubs)

    hub_port, base_port = free_port(), free_port()
    hub_url, base_url = f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{base_port}"
    hub = procs.spawn("web", gunicorn_argv("wsgi:app", hub_port, args.web_workers), env)
    from hub.cli import worker_queues

    others = [q for q in worker_queues() if q not in POOLS.values()]
    for i in range(args.rq_workers):
        procs.spawn(f"worker-{i}", [str(VENV_BIN / "python"), "-m", "hub", "worker", "--queues", *others],
                    env)
    procs.spawn("scheduler", [str(VENV_BIN / "python"), "-m", "hub", "scheduler"], env)
    wait_http(f"{hub_url}/openapi.json", proc=hub)

    start = time.monotonic()
    seed.stock_up(hub_url, tenants[:16])
    seed.template_purchases(hub_url, tenants)
    bulk = max(0, args.events - len(tenants))
    seconds = seed.bulk_events(db.url, tenants, bulk)
    print(f"seeded {bulk + len(tenants):,} events over {len(tenants)} hubs in "
          f"{time.monotonic() - start:.1f} s "
          f"(bulk INSERT ... SELECT {seconds:.1f} s)", flush=True)

    bodies = workdir / "baseline"
    bodies.mkdir()
    poll = _capture(bodies, tenants, hub_url)
    base_env = {**os.environ, "BENCH_BASELINE_DIR": str(bodies), "PYTHONUNBUFFERED": "1"}
    base = procs.spawn("baseline", gunicorn_argv("bench.harness.baseline:app", base_port, args.web_workers),
                       base_env)
    wait_http(f"{base_url}/v1/triggers/new_purchase", proc=base)

    targets = scenarios.Targets(hub_url, base_url, hub.pid, base.pid, tenants, poll)
    wait_workers(hub.pid, args.web_workers)
    wait_workers(base.pid, args.web_workers)
    rss_before = scenarios.worker_rss(hub.pid)
    base_rss_before = scenarios.worker_rss(base.pid)
    report.params = [f"{args.events:,} events over {len(tenants)} hubs" if args.events >= len(tenants)
                     else f"{len(tenants)} events over {len(tenants)} hubs",
                     f"gunicorn --workers {args.web_workers} (Procfile config) for hub and baseline",
                     f"{args.rq_workers} rq worker(s) on the other queues + scheduler; P3, P4 and P6 each on "
                     f"drained queues with a pool of {args.pool} `python -m hub worker "
                     f"{'' if args.fork else '--no-fork '}--queues <its kind>` started for it alone",
                     f"PostgreSQL {db.server_version()}, Redis",
                     f"{'wrk' if driver.wrk else 'Python load generator'} {args.connections} connections, "
                     f"{args.warmup:g} s warm-up + {args.duration:g} s per run"]
    if "P1" in args.only:
        scenarios.p1_poll(targets, driver, report)
    if "P2" in args.only:
        scenarios.p2_ingest(targets, driver, report)
    if "P3" in args.only:
        with pool(args, procs, env, redis_url, "P3"):
            scenarios.p3_hooks(targets, driver, report)
    if "P4" in args.only:
        with pool(args, procs, env, redis_url, "P4"):
            p4_fanout(hub_url, db.url, secret, args.pool, report,
                      connections=10 if args.smoke else 100, items=100 if args.smoke else 1000)
    if "P5" in args.only:
        scenarios.p5_rss(targets, driver, report, rss_before, base_rss_before)
    if "P6" in args.only:
        with pool(args, procs, env, redis_url, "P6"):
            p6_catchup(hub_url, db.url, secret, report, waiting=2_000 if args.smoke else 50_000)
    if args.profile:
        from bench.harness.profile import run_profile

        run_profile(db.url, redis_url, secret, args.rate_limit, tenants[0], report,
                    n=20 if args.smoke else 200)
    skipped = [s for s in SCENARIOS if s not in args.only]
    if skipped:
        report.notes.append(f"skipped in this run: {', '.join(skipped)}")
    return report


@contextmanager
def pool(args: argparse.Namespace, procs: Processes, env: dict[str, str], redis_url: str,
         scenario: str) -> Iterator[None]:
    """The scenario's own worker pool on its kind's queue, measured once that queue is drained (of what
    earlier scenarios left there) and stopped after it: one scenario's backlog never counts in another's."""
    queue = POOLS[scenario]
    names = [f"{scenario}-pool-{i}" for i in range(args.pool)]
    flags = ["--queues", queue] if args.fork else ["--no-fork", "--queues", queue]
    for name in names:
        procs.spawn(name, [str(VENV_BIN / "python"), "-m", "hub", "worker", *flags], env)
    try:
        if (ready := wait_registered(redis_url, queue, len(names))) < len(names):
            print(f"{scenario}: only {ready} of {len(names)} workers ready after 60 s", flush=True)
        left = wait_drained(redis_url, [queue])
        if left:
            print(f"{scenario}: {left} jobs still in {queue} after 120 s", flush=True)
        yield
    finally:
        procs.stop(names)


def _capture(bodies: Path, tenants: list[seed.Tenant], hub_url: str) -> int:
    """Save the hub's own response bytes for the baseline to serve; returns the poll body's size."""
    status, poll = seed.http("GET", f"{hub_url}{scenarios.POLL_PATH}", tenants[0].automation_key)
    if status != 200:
        raise RuntimeError(f"poll answered {status}: {poll[:300]!r}")
    (bodies / "poll.json").write_bytes(poll)
    when = "2026-01-01T00:00:00+00:00"
    item = {"location_external_id": "fridge-1", "occurred_at": when, "currency": "EUR", "lines": seed.LINES}
    _, single = seed.http("POST", f"{hub_url}{scenarios.PURCHASES_PATH}", tenants[0].pos_key,
                          {**item, "external_id": "CAPTURE-1"})
    (bodies / "single.json").write_bytes(single)
    _, batch = seed.http("POST", f"{hub_url}{scenarios.PURCHASES_PATH}", tenants[0].pos_key,
                         {"purchases": [{**item, "external_id": f"CAPTURE-B{i}"} for i in range(100)]})
    (bodies / "batch.json").write_bytes(batch)
    print(f"poll body {len(poll):,} bytes, {len(json.loads(poll))} items", flush=True)
    return len(poll)
