"""Benchmarks of the hot paths: POS purchase posts and trigger polls. Prints figures; asserts nothing.

    .venv/bin/python bench/run.py                        # embedded SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/run.py

It measures in-process through the WSGI app (no network), counting SQL statements per request,
so the figures show the cost of the hub's own code and its database round trips.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import event  # noqa: E402

from hub import create_app  # noqa: E402
from hub.config import Settings  # noqa: E402
from hub.migrate import upgrade  # noqa: E402
from hub.runtime import get_runtime  # noqa: E402
from tests.conftest import build_tenant  # noqa: E402

statements = 0


def _count(*_args: object) -> None:
    global statements
    statements += 1


def purchase(n: int, location: str = "fridge-1") -> dict:
    """One purchase as a POS posts it."""
    when = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=n)
    return {"external_id": f"B-{n}", "location_external_id": location, "occurred_at": when.isoformat(),
            "currency": "EUR", "lines": [{"sku": "SAL-CAESAR", "quantity": 1, "unit_price": "6.50"},
                                         {"sku": "SOUP-TOMATO", "quantity": 2, "unit_price": "4.00"}]}


def timed(fn, repeat: int) -> tuple[list[float], float]:  # noqa: ANN001
    """Per-call latencies in ms and SQL statements per call."""
    global statements
    latencies = []
    statements = 0
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies, statements / repeat


def report(name: str, latencies: list[float], per_call: float, unit: str = "request") -> None:
    """Print one benchmark's figures."""
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else max(latencies)
    rate = 1000 / statistics.mean(latencies)
    print(f"{name:<48} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  {rate:8.1f} {unit}s/s  "
          f"{per_call:5.1f} SQL statements/{unit}")


def main() -> None:
    """Run each benchmark once and print its figures."""
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    app = create_app(Settings(database_url=url, secret_keys=(Fernet.generate_key().decode(),),
                              rate_limit_per_minute=0))
    rt = get_runtime()
    event.listen(rt.db.engine, "before_cursor_execute", _count)
    tenant = build_tenant(rt, name="Bench hub")
    client = app.test_client()
    pos = tenant.auth("pos")
    print(f"database: {rt.db.engine.dialect.name}")

    client.put("/v1/pos/inventory", headers=pos, json={"counts": [
        {"location_external_id": "fridge-1", "sku": "SAL-CAESAR", "quantity": 1_000_000},
        {"location_external_id": "fridge-1", "sku": "SOUP-TOMATO", "quantity": 1_000_000}]})

    def post_one(i: int) -> None:
        response = client.post("/v1/pos/purchases", headers=pos, json=purchase(i))
        assert response.status_code in (200, 201), response.get_data(as_text=True)

    report("POST /v1/pos/purchases (one purchase)", *timed(post_one, 300))
    report("POST /v1/pos/purchases (same purchase again)", *timed(lambda i: post_one(0), 200))

    def post_batch(i: int) -> None:
        batch = [purchase(100_000 + i * 100 + k) for k in range(100)]
        response = client.post("/v1/pos/purchases", headers=pos, json={"purchases": batch})
        assert response.status_code in (200, 201), response.get_data(as_text=True)

    latencies, per_call = timed(post_batch, 30)
    report("POST /v1/pos/purchases (batch of 100)", [x / 100 for x in latencies], per_call / 100, "purchase")

    auto = tenant.auth()
    first = client.get("/v1/triggers/new_purchase?limit=1", headers=auto).json[0]["id"]

    def poll(i: int) -> None:
        response = client.get("/v1/triggers/new_purchase?limit=100", headers=auto)
        assert response.status_code == 200 and len(response.json) == 100

    report("GET /v1/triggers/new_purchase?limit=100", *timed(poll, 200))

    def poll_since(i: int) -> None:
        response = client.get(f"/v1/triggers/new_purchase?since_id={first - 5}", headers=auto)
        assert response.status_code == 200

    report("GET /v1/triggers/new_purchase?since_id=(5 new)", *timed(poll_since, 300))

    def poll_filtered(i: int) -> None:
        response = client.get(f"/v1/triggers/new_purchase?limit=100&location_id={tenant.location_ids[0]}",
                              headers=auto)
        assert response.status_code == 200

    report("GET /v1/triggers/new_purchase (location filter)", *timed(poll_filtered, 200))


if __name__ == "__main__":
    main()
