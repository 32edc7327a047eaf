"""`python -m hub <command>`: the support staff's tool. Every command also has --json output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from hub.admin import (
    DEFAULT_CURRENCY,
    DEFAULT_TIMEZONE,
    AdminError,
    add_connection,
    add_location,
    create_hub,
    update_hub,
)
from hub.config import Settings
from hub.keys import KeyIssueError, KeyNotFoundError, issue_key, restrict_key, revoke_key, rotate_key
from hub.models import ApiKey, Connection, Hub, Location
from hub.refs import iso
from hub.runtime import Runtime, set_runtime


class CliError(Exception):
    """A command failed in a way the user can fix; printed without a traceback."""


def _json_arg(value: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc.msg}") from exc
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return parsed


def cmd_prune(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Delete rows older than the retention settings once (what the scheduler does in small steps)."""
    from hub.retention import Policy, prune

    policy = Policy.from_settings(rt.settings, budget_seconds=args.budget_seconds)
    return prune(rt.db, policy, dry_run=args.dry_run).as_dict()


def cmd_init_db(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Create or migrate the database to the newest schema."""
    from hub.migrate import upgrade

    upgrade(rt.settings.database_url)
    return {"database": rt.db.engine.url.render_as_string(hide_password=True), "status": "migrated"}


def cmd_create_hub(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Create a hub."""
    with rt.db.session() as s:
        hub = create_hub(s, args.name, args.timezone, args.currency)
        return {"id": hub.id, "name": hub.name, "timezone": hub.timezone, "currency": hub.currency}


def cmd_set_hub(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Change a hub's name, time zone or currency."""
    if args.name is None and args.timezone is None and args.currency is None:
        raise CliError("nothing to change: give --name, --timezone or --currency")
    with rt.db.session() as s:
        hub = update_hub(s, args.hub, args.name, args.timezone, args.currency)
        return {"id": hub.id, "name": hub.name, "timezone": hub.timezone, "currency": hub.currency}


def cmd_create_key(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Create an API key and print it (shown only this once)."""
    with rt.db.session() as s:
        if s.get(Hub, args.hub) is None:
            raise CliError(f"no hub {args.hub}")
        issued = issue_key(s, args.hub, args.scope, args.connection, args.name,
                           allowed_networks=args.allow_network, expires_at=_cli_time(args.expires_at))
        return {"id": issued.record.id, "hub_id": args.hub, "scope": args.scope,
                "connection_id": args.connection, "key": issued.key,
                "allowed_networks": issued.record.allowed_networks,
                "expires_at": iso(issued.record.expires_at),
                "note": "Store this key now: it is shown only once."}


def _cli_time(value: str | None) -> datetime | None:
    """An ISO 8601 time from the command line (without offset: UTC)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CliError(f"not an ISO 8601 time: {value!r} (e.g. 2027-03-01T00:00:00+00:00)") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def cmd_restrict_key(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Set a key's allowed networks and expiry (options left out keep their value)."""
    with rt.db.session() as s:
        current = s.get(ApiKey, args.key_id)
        if current is None or current.revoked_at is not None or (args.hub and current.hub_id != args.hub):
            raise CliError(f"no active key {args.key_id}" + (f" in hub {args.hub}" if args.hub else ""))
        networks = current.allowed_networks
        if args.anywhere:
            networks = None
        elif args.allow_network:
            networks = args.allow_network
        expires_at = current.expires_at
        if args.no_expiry:
            expires_at = None
        elif args.expires_at:
            expires_at = _cli_time(args.expires_at)
        key = restrict_key(s, args.key_id, args.hub, networks, expires_at)
        return {"id": key.id, "allowed_networks": key.allowed_networks, "expires_at": iso(key.expires_at)}


def cmd_rotate_key(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Issue a replacement key; the old one keeps working for --overlap seconds (shown only once)."""
    with rt.db.session() as s:
        try:
            issued = rotate_key(s, args.key_id, args.hub, args.overlap)
        except KeyNotFoundError as exc:
            raise CliError(str(exc)) from exc
        old = s.get(ApiKey, args.key_id)
        return {"id": issued.record.id, "hub_id": issued.record.hub_id, "scope": issued.record.scope,
                "connection_id": issued.record.connection_id, "key": issued.key,
                "allowed_networks": issued.record.allowed_networks,
                "expires_at": iso(issued.record.expires_at),
                "replaces": args.key_id, "old_key_expires_at": iso(old.expires_at),
                "note": "Store this key now: it is shown only once. Deploy it before the old key stops."}


def cmd_revoke_key(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Revoke an API key by id."""
    with rt.db.session() as s:
        if not revoke_key(s, args.key_id, args.hub):
            raise CliError(f"no active key {args.key_id}" + (f" in hub {args.hub}" if args.hub else ""))
    return {"id": args.key_id, "revoked": True}


def cmd_add_connection(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Add a POS connection to a hub."""
    with rt.db.session() as s:
        con = add_connection(s, rt.vault, args.hub, args.type, args.name, args.config, args.credentials)
        return {"id": con.id, "hub_id": con.hub_id, "type": con.type, "name": con.name}


def cmd_add_location(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Add a location to a connection."""
    with rt.db.session() as s:
        loc = add_location(s, args.hub, args.connection, args.external_id, args.name)
        return {"id": loc.id, "hub_id": loc.hub_id, "connection_id": loc.connection_id,
                "external_id": loc.external_id, "name": loc.name}


def cmd_list_hubs(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """List hubs with their counts of connections, locations and active keys."""
    with rt.db.session() as s:
        def count(model: Any, hub_id: str, *extra: Any) -> int:
            stmt = select(func.count()).select_from(model).where(model.hub_id == hub_id, *extra)
            return s.scalar(stmt) or 0

        hubs = s.scalars(select(Hub).order_by(Hub.created_at)).all()
        return {"hubs": [
            {"id": h.id, "name": h.name, "created_at": h.created_at.isoformat(),
             "connections": count(Connection, h.id), "locations": count(Location, h.id),
             "active_keys": count(ApiKey, h.id, ApiKey.revoked_at.is_(None))}
            for h in hubs
        ]}


def cmd_generate_secret_key(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Print a new Fernet key for HUB_SECRET_KEYS."""
    from cryptography.fernet import Fernet

    return {"key": Fernet.generate_key().decode(),
            "note": "Put it first in HUB_SECRET_KEYS (comma-separated), keep the old keys after it, "
                    "then run rotate-secrets."}


def cmd_rotate_secrets(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Re-encrypt every stored credential and hook secret under the first HUB_SECRET_KEYS key."""
    from hub.models import HookSubscription

    rotated = 0
    with rt.db.session() as s:
        for con in s.scalars(select(Connection).where(Connection.credentials_encrypted.is_not(None))):
            con.credentials_encrypted = rt.vault.rotate(con.credentials_encrypted)
            rotated += 1
        for hook in s.scalars(select(HookSubscription)):
            hook.secret_encrypted = rt.vault.rotate(hook.secret_encrypted)
            rotated += 1
    return {"rotated": rotated}


def cmd_simulate(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Make a sandbox connection sell, restock, drop a location, or have an outage."""
    from hub.simulation import SimulationError, simulate

    with rt.db.session() as s:
        con = s.get(Connection, args.connection)
        if con is None:
            raise CliError(f"no connection {args.connection}")
        try:
            return simulate(s, con, args.action, location_external_id=args.location, sku=args.sku,
                            quantity=args.quantity)
        except SimulationError as exc:
            raise CliError(str(exc)) from exc


def cmd_test_connection(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Call a connection's POS with its stored credentials and say whether it answered."""
    from hub.connectors import build_connector
    from hub.connectors.base import ConnectorError

    with rt.db.session() as s:
        con = s.get(Connection, args.connection)
        if con is None:
            raise CliError(f"no connection {args.connection}")
        connector = build_connector(con, rt.vault)
    try:
        connector.test_connection()
    except ConnectorError as exc:
        raise CliError(f"{connector.title} did not answer as expected ({exc.kind.value}): "
                       f"{exc.message}") from exc
    return {"connection_id": args.connection, "ok": True}


def cmd_import_menu(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Import a POS's own menu into its hub's catalog (optionally pushing it to the other POS)."""
    from hub.connectors.base import ConnectorError
    from hub.menu_import import import_menu

    with rt.db.session() as s:
        con = s.get(Connection, args.connection)
        if con is None:
            raise CliError(f"no connection {args.connection}")
        hub_id = con.hub_id
    try:
        return import_menu(rt, hub_id, args.connection, args.push)
    except ConnectorError as exc:
        raise CliError(f"the POS refused ({exc.kind.value}): {exc.message}") from exc


def cmd_quarantine(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """List the records a connection's POS sent that the hub could not read (raw data and reason)."""
    from hub.models import QuarantinedRecord
    from hub.quarantine import record_view

    query = select(QuarantinedRecord).where(QuarantinedRecord.connection_id == args.connection)
    if args.status != "all":
        query = query.where(QuarantinedRecord.status == args.status)
    with rt.db.session() as s:
        rows = s.scalars(query.order_by(QuarantinedRecord.last_seen_at.desc()))
        return {"records": [record_view(row) for row in rows]}


def _record_hub(rt: Runtime, record_id: str) -> str:
    from hub.models import QuarantinedRecord

    with rt.db.session() as s:
        hub_id = s.scalar(select(QuarantinedRecord.hub_id).where(QuarantinedRecord.id == record_id))
    if hub_id is None:
        raise CliError(f"no quarantined record {record_id}")
    return hub_id


def cmd_replay_quarantined(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Read a quarantined record again (after a fix); its purchase is recorded once."""
    from hub.quarantine import QuarantineError, replay

    try:
        outcome = replay(rt.db, rt.vault, _record_hub(rt, args.record_id), args.record_id)
    except QuarantineError as exc:
        raise CliError(str(exc)) from exc
    if outcome is None:  # deleted in between
        raise CliError(f"no quarantined record {args.record_id}")
    return {"outcome": outcome.outcome, "detail": outcome.detail, "status": outcome.record["status"]}


def cmd_dismiss_quarantined(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Set a quarantined record aside for good."""
    from hub.quarantine import QuarantineError, dismiss

    hub_id = _record_hub(rt, args.record_id)
    try:
        with rt.db.session() as s:
            return {"id": args.record_id, "status": dismiss(s, hub_id, args.record_id).status}
    except QuarantineError as exc:
        raise CliError(str(exc)) from exc


def _operator_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password read from stdin (--password-stdin), or a generated one; True when generated."""
    from hub.console.auth import generate_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input")
        return password, False
    return generate_password(), True


def _operator_result(operator: Any, password: str, generated: bool, rt: Runtime) -> dict[str, Any]:
    result = {"id": operator.id, "email": operator.email, "console": f"{rt.settings.base_url}/console"}
    if generated:
        result["password"] = password
        result["note"] = "The password is shown once; it is stored only as an argon2id hash."
    return result


def cmd_create_operator(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Create a support-console operator; prints a generated password once (or reads --password-stdin)."""
    from hub.console.auth import create_operator

    password, generated = _operator_password(args)
    with rt.db.session() as s:
        return _operator_result(create_operator(s, args.email, password), password, generated, rt)


def cmd_set_operator_password(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Set a new operator password (and enable the account); its console sessions are signed out."""
    from hub.console.auth import set_operator_password

    password, generated = _operator_password(args)
    with rt.db.session() as s:
        return _operator_result(set_operator_password(s, args.email, password), password, generated, rt)


def cmd_disable_operator(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Disable an operator: no more sign-ins, and open console sessions end at once."""
    from hub.console.auth import disable_operator

    with rt.db.session() as s:
        operator = disable_operator(s, args.email)
        return {"id": operator.id, "email": operator.email, "status": "disabled"}


def _operator_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("email")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input instead of generating one")


def cmd_demo(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Make sure a demo hub with a sandbox connection exists and issue a fresh demo key."""
    from hub.demo import ensure_demo

    return ensure_demo(rt)


def cmd_run(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Run the whole hub in one process: web server, in-process jobs and the scheduler."""
    from hub.observability.exposition import serve_metrics_port
    from hub.serve import run_all_in_one

    serve_metrics_port(rt.settings.metrics_port, "run")
    run_all_in_one(rt, host=args.host, port=args.port)
    return {"status": "stopped"}


def cmd_scheduler(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Run the scheduler process (due polls, offline sweep, re-enqueue of lost jobs)."""
    from hub.observability.exposition import serve_metrics_port
    from hub.scheduler import run_forever

    # The scheduler also reports the queues, connections and dead letters (read at scrape time).
    serve_metrics_port(args.metrics_port or rt.settings.metrics_port, "scheduler")
    run_forever(rt)
    return {"status": "stopped"}


def worker_queues() -> list[str]:
    """Every queue a worker listens to unless told otherwise: each kind's, the polls of every registered
    connector type, the reserved order deliveries queue, and the default `hub` queue."""
    from hub.action_callbacks.kind import ACTION_CALLBACKS
    from hub.connectors import CONNECTORS
    from hub.deliveries import ACTION_DELIVERIES
    from hub.hooks.kind import HOOK_DELIVERIES
    from hub.jobs import ORDER_DELIVERIES_QUEUE, QUEUE_NAME
    from hub.polling import POLLS

    return [HOOK_DELIVERIES.queue_for(), ACTION_CALLBACKS.queue_for(), ACTION_DELIVERIES.queue_for(),
            ORDER_DELIVERIES_QUEUE, *(POLLS.queue_for(c.type) for c in CONNECTORS), QUEUE_NAME]


def cmd_worker(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Run an rq worker on REDIS_URL's queues (every kind's unless --queues names some), with the job code
    loaded once before it forks.

    With --no-fork (rq's SimpleWorker) each job runs in the worker process itself: no work horse is
    forked per job (tens of ms each) and database connections stay pooled between jobs. The job
    timeout still holds (rq raises JobTimeoutException in the job through SIGALRM, as the work horse
    does), and crash recovery does not depend on the horse: a job's claim is a database lease, so a
    worker killed mid-job loses nothing and the sweep hands the work on when the lease runs out.
    """
    if not rt.settings.redis_url:
        raise CliError("REDIS_URL is not set: without Redis, jobs run inside `python -m hub run`")
    from rq import Queue, SimpleWorker, Worker
    from rq.worker import DequeueStrategy

    import hub.action_callbacks.sender  # noqa: F401 - loaded once here rather than in every forked job
    import hub.deliveries  # noqa: F401
    import hub.hooks.delivery  # noqa: F401
    import hub.polling  # noqa: F401
    from hub.jobs import QUEUE_PREFIX

    names = [n for value in args.queues or [] for n in value.split(",") if n.strip()] or worker_queues()
    rt.db, rt.vault  # noqa: B018 - build the engine and vault before forking; no connection is opened
    queues = [Queue(QUEUE_PREFIX + name.strip(), connection=rt.redis) for name in names]
    worker = (SimpleWorker if args.no_fork else Worker)(queues, connection=rt.redis)
    from hub.observability.exposition import serve_metrics_port

    # Its jobs' durations and delivery outcomes; a forking worker's work horses count only with
    # PROMETHEUS_MULTIPROC_DIR set (README, Operating it).
    serve_metrics_port(args.metrics_port or rt.settings.metrics_port, "worker", state=False)
    # Round robin: a flood of one kind (say hook deliveries) never starves the others on a shared worker.
    worker.work(burst=args.burst, dequeue_strategy=DequeueStrategy.ROUND_ROBIN)
    return {"status": "stopped"}


def _worker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    p.add_argument("--queues", nargs="+", metavar="QUEUE",
                   help="listen only to these queues (space or comma separated), e.g. polls:byte_fridge; "
                        "default: every queue (hook_deliveries, action_callbacks, action_deliveries, "
                        "order_deliveries, polls:<type> of each POS type, hub)")
    p.add_argument("--no-fork", action="store_true",
                   help="run each job in this process (rq's SimpleWorker) instead of a forked work horse: "
                        "much faster for short jobs (hook deliveries, menu pushes, polls); the job timeout "
                        "still applies")
    _metrics_port_arg(p)


def _metrics_port_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metrics-port", type=int, metavar="PORT",
                   help="serve Prometheus metrics on this port (default: HUB_METRICS_PORT; give each process "
                        "on one host a port of its own)")


def _print_human(result: dict[str, Any]) -> None:
    if "hubs" in result:
        if not result["hubs"]:
            print("No hubs yet. Create one with: python -m hub create-hub NAME")
        for h in result["hubs"]:
            print(f"{h['id']}  {h['name']}  ({h['connections']} connections, {h['locations']} locations, "
                  f"{h['active_keys']} active keys)")
        return
    for key, value in result.items():
        print(f"{key}: {value}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(prog="python -m hub", description="POS connector hub: support tools")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    sub = parser.add_subparsers(dest="command", required=True)
    commands: list[tuple[str, Callable[..., dict[str, Any]], Callable[[argparse.ArgumentParser], None]]] = [
        ("init-db", cmd_init_db, lambda p: None),
        ("create-hub", cmd_create_hub, _create_hub_args),
        ("set-hub", cmd_set_hub, _set_hub_args),
        ("create-key", cmd_create_key, _create_key_args),
        ("revoke-key", cmd_revoke_key, _revoke_key_args),
        ("restrict-key", cmd_restrict_key, _restrict_key_args),
        ("rotate-key", cmd_rotate_key, _rotate_key_args),
        ("add-connection", cmd_add_connection, _add_connection_args),
        ("add-location", cmd_add_location, _add_location_args),
        ("list-hubs", cmd_list_hubs, lambda p: None),
        ("generate-secret-key", cmd_generate_secret_key, lambda p: None),
        ("rotate-secrets", cmd_rotate_secrets, lambda p: None),
        ("create-operator", cmd_create_operator, _operator_args),
        ("set-operator-password", cmd_set_operator_password, _operator_args),
        ("disable-operator", cmd_disable_operator, lambda p: p.add_argument("email")),
        ("demo", cmd_demo, lambda p: None),
        ("simulate", cmd_simulate, _simulate_args),
        ("import-menu", cmd_import_menu, _import_menu_args),
        ("test-connection", cmd_test_connection, lambda p: p.add_argument("--connection", required=True)),
        ("quarantine", cmd_quarantine, _quarantine_args),
        ("replay-quarantined", cmd_replay_quarantined, lambda p: p.add_argument("record_id")),
        ("dismiss-quarantined", cmd_dismiss_quarantined, lambda p: p.add_argument("record_id")),
        ("run", cmd_run, _run_args),
        ("prune", cmd_prune, _prune_args),
        ("scheduler", cmd_scheduler, _metrics_port_arg),
        ("worker", cmd_worker, _worker_args),
    ]
    for name, handler, add_args in commands:
        p = sub.add_parser(name, help=(handler.__doc__ or "").strip())
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print results as JSON")
        add_args(p)
        p.set_defaults(handler=handler)
    return parser


def _hub_setting_args(p: argparse.ArgumentParser, default: bool) -> None:
    p.add_argument("--timezone", default=DEFAULT_TIMEZONE if default else None,
                   help="IANA time zone of times sent without offset, e.g. Europe/Berlin"
                   + (f" (default {DEFAULT_TIMEZONE})" if default else ""))
    p.add_argument("--currency", default=DEFAULT_CURRENCY if default else None,
                   help="ISO 4217 currency of prices sent without one" + (f" (default {DEFAULT_CURRENCY})"
                                                                          if default else ""))


def _create_hub_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    _hub_setting_args(p, default=True)


def _set_hub_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("hub")
    p.add_argument("--name")
    _hub_setting_args(p, default=False)


def _create_key_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", required=True)
    p.add_argument("--scope", required=True, choices=["automation", "pos", "admin"])
    p.add_argument("--connection", help="the connection a pos key is bound to")
    p.add_argument("--name", help="a label, e.g. 'Zapier (Anna)'")
    _restriction_args(p)


def _restriction_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-network", action="append", metavar="CIDR",
                   help="a network the key works from, e.g. 203.0.113.25/32 (repeatable; default: anywhere)")
    p.add_argument("--expires-at", metavar="ISO", help="when the key stops working (ISO 8601)")


def _restrict_key_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("key_id")
    p.add_argument("--hub")
    _restriction_args(p)
    p.add_argument("--anywhere", action="store_true", help="lift the network restriction")
    p.add_argument("--no-expiry", action="store_true", help="lift the expiry")


def _rotate_key_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("key_id")
    p.add_argument("--hub")
    p.add_argument("--overlap", type=int, required=True, metavar="SECONDS",
                   help="how long the old key keeps working (0: it stops at once)")


def _revoke_key_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("key_id")
    p.add_argument("--hub")


def _add_connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", required=True)
    p.add_argument("--type", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--config", type=_json_arg, default={}, help="settings as a JSON object")
    p.add_argument("--credentials", type=_json_arg, default={}, help="credentials as a JSON object")


def _add_location_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", required=True)
    p.add_argument("--connection", required=True)
    p.add_argument("--external-id", required=True, help="the POS's own id for this location")
    p.add_argument("--name", required=True)


def _simulate_args(p: argparse.ArgumentParser) -> None:
    from hub.simulation import ACTIONS

    p.add_argument("--connection", required=True, help="a sandbox connection id")
    p.add_argument("--action", required=True, choices=ACTIONS)
    p.add_argument("--location", help="the location's external id (default: the first)")
    p.add_argument("--sku")
    p.add_argument("--quantity", type=int, default=1)


def _import_menu_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connection", required=True, help="the connection whose POS is the master of the menu")
    p.add_argument("--push", action="store_true", help="then push the imported items to the hub's other POS")


def _quarantine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connection", required=True)
    p.add_argument("--status", default="open", choices=["open", "replayed", "dismissed", "all"])


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


# The processes that log as they run; the other commands print their result and log little.
LONG_RUNNING = frozenset({"run", "worker", "scheduler"})


def _prune_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    p.add_argument("--budget-seconds", type=float,
                   help="stop after this long (default: until nothing is left)")


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; exit code 0 on success, 2 on a user error."""
    from hub.console.auth import OperatorError

    args = build_parser().parse_args(argv)
    runtime = set_runtime(Runtime(settings or Settings.from_env()))
    if args.command in LONG_RUNNING:
        from hub.logs import configure_logging

        configure_logging(runtime.settings)  # once, at process start (HUB_LOG_FORMAT, HUB_LOG_LEVEL)
    try:
        result = args.handler(runtime, args)
    except (CliError, AdminError, KeyIssueError, OperatorError) as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, default=str))
    else:
        _print_human(result)
    return 0
