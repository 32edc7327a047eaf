"""Seeding: schema by the hub's migrations, tenants through its admin code, events in bulk by SQL."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from dataclasses import dataclass

from sqlalchemy import create_engine, text

from bench.harness.load import LINES
from bench.harness.servers import ROOT, VENV_BIN


@dataclass
class Tenant:
    """One seeded hub with its push connection, location fridge-1 and keys."""

    hub_id: str
    connection_id: str
    location_id: str
    automation_key: str
    pos_key: str


def migrate(env: dict[str, str]) -> None:
    """`python -m hub init-db`, the Procfile's release step."""
    subprocess.run([str(VENV_BIN / "python"), "-m", "hub", "init-db"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def create_tenants(database_url: str, secret_key: str, count: int) -> list[Tenant]:
    """Create count hubs, each with a push connection, location fridge-1, an automation and a pos key."""
    from hub.admin import add_connection, add_location, create_hub
    from hub.config import Settings
    from hub.keys import issue_key
    from hub.runtime import Runtime

    rt = Runtime(Settings(database_url=database_url, secret_keys=(secret_key,)))
    tenants = []
    with rt.db.session() as s:
        for i in range(count):
            hub = create_hub(s, f"Bench hub {i}")
            con = add_connection(s, rt.vault, hub.id, "push", f"Bench POS {i}", {}, {})
            loc = add_location(s, hub.id, con.id, "fridge-1", "Lobby fridge")
            tenants.append(Tenant(hub.id, con.id, loc.id, issue_key(s, hub.id, "automation").key,
                                  issue_key(s, hub.id, "pos", con.id).key))
    rt.db.engine.dispose()
    return tenants


def http(method: str, url: str, key: str, body: object | None = None) -> tuple[int, bytes]:
    """One request with a bearer key; returns status and body."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def stock_up(base_url: str, tenants: list[Tenant]) -> None:
    """Put ample stock of the benchmark SKUs at each hub's fridge-1 (through the POS API)."""
    counts = [{"location_external_id": "fridge-1", "sku": line["sku"], "quantity": 1_000_000_000}
              for line in LINES]
    for t in tenants:
        status, body = http("PUT", f"{base_url}/v1/pos/inventory", t.pos_key, {"counts": counts})
        if status >= 300:
            raise RuntimeError(f"inventory PUT answered {status}: {body[:300]!r}")


def template_purchases(base_url: str, tenants: list[Tenant]) -> None:
    """Post one real purchase per hub, whose event payload becomes that hub's bulk template."""
    when = "2026-01-01T00:00:00+00:00"
    for t in tenants:
        status, body = http("POST", f"{base_url}/v1/pos/purchases", t.pos_key, {
            "external_id": "TEMPLATE", "location_external_id": "fridge-1", "occurred_at": when,
            "currency": "EUR", "lines": LINES})
        if status >= 300:
            raise RuntimeError(f"template purchase answered {status}: {body[:300]!r}")


def bulk_events(database_url: str, tenants: list[Tenant], total: int) -> float:
    """INSERT ... SELECT generate_series: total new_purchase events interleaved over the hubs; seconds."""
    start = time.monotonic()
    engine = create_engine(database_url)
    with engine.begin() as c:
        c.execute(text("SET LOCAL synchronous_commit = off"))
        c.execute(text("CREATE TEMP TABLE bench_tpl (idx int PRIMARY KEY, hub_id text, connection_id text, "
                       "location_id text, tpl text) ON COMMIT DROP"))
        rows = c.execute(text("SELECT DISTINCT ON (hub_id) hub_id, payload FROM events "
                              "WHERE type = 'new_purchase' ORDER BY hub_id, id")).all()
        payloads = {hub_id: payload for hub_id, payload in rows}
        for idx, t in enumerate(tenants):
            p = payloads[t.hub_id] if isinstance(payloads[t.hub_id], dict) else json.loads(payloads[t.hub_id])
            tpl = json.dumps({**p, "purchase_id": "@PID@", "external_id": "@EXT@", "occurred_at": "@TS@"})
            c.execute(text("INSERT INTO bench_tpl VALUES (:i, :h, :c, :l, :t)"),
                      {"i": idx, "h": t.hub_id, "c": t.connection_id, "l": t.location_id, "t": tpl})
        c.execute(text("""
            INSERT INTO events (hub_id, type, connection_id, location_id, sku, payload, created_at)
            SELECT t.hub_id, 'new_purchase', t.connection_id, t.location_id, NULL,
                   replace(replace(replace(t.tpl, '@PID@', 'pur_bench' || g), '@EXT@', 'SEED-' || g),
                           '@TS@', to_char(s.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))::json,
                   s.ts
            FROM generate_series(0, :n - 1) AS g
            JOIN bench_tpl t ON t.idx = g % :hubs
            CROSS JOIN LATERAL (SELECT now() - make_interval(secs => (:n - g) * 0.1) AS ts) s
            ORDER BY g
        """), {"n": total, "hubs": len(tenants)})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE events"))
    engine.dispose()
    return time.monotonic() - start


def create_admin_hub(database_url: str, secret_key: str, name: str) -> tuple[str, str, str]:
    """A new hub with an automation and an admin key: (hub id, automation key, admin key)."""
    from hub.admin import create_hub
    from hub.config import Settings
    from hub.keys import issue_key
    from hub.runtime import Runtime

    rt = Runtime(Settings(database_url=database_url, secret_keys=(secret_key,)))
    with rt.db.session() as s:
        hub = create_hub(s, name)
        keys = hub.id, issue_key(s, hub.id, "automation").key, issue_key(s, hub.id, "admin").key
    rt.db.engine.dispose()
    return keys


def add_byte_connection(base_url: str, admin_key: str, name: str, pos_url: str) -> str:
    """A byte_fridge connection added through the admin API; its id."""
    status, body = http("POST", f"{base_url}/v1/admin/connections", admin_key, {
        "type": "byte_fridge", "name": name, "config": {"base_url": pos_url},
        "credentials": {"api_key": "bench"}})
    if status != 201:
        raise RuntimeError(f"connection create answered {status}: {body[:300]!r}")
    return json.loads(body)["id"]


def sql(database_url: str, statement: str, **params: object) -> list[tuple]:
    """One statement in its own transaction; its rows (empty for statements without)."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as c:
            result = c.execute(text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()
