"""P4 menu fan-out: 1,000 items to 100 byte_fridge connections behind a mock POS, and an unchanged re-send."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from bench.harness.mockpos import MockPos
from bench.harness.report import Report, Row
from bench.harness.seed import add_byte_connection, create_admin_hub, http, sql

ACTION_PATH = "/v1/actions/update_menu"
MAX_ITEMS = 500  # schemas/actions/update_menu.input.json: maxItems of one POST


def _items(count: int) -> list[dict]:
    return [{"sku": f"MENU-{i:04d}", "name": f"Meal {i}", "category": "Bench", "available": True,
             "price": {"amount": f"{5 + i % 7}.50", "currency": "EUR"}} for i in range(count)]


def _send(hub_url: str, key: str, items: list[dict]) -> list[str]:
    """POST the items (in as few requests as the schema allows); the action run ids."""
    runs = []
    for start in range(0, len(items), MAX_ITEMS):
        status, body = http("POST", f"{hub_url}{ACTION_PATH}", key, {"items": items[start:start + MAX_ITEMS]})
        if status != 202:
            raise RuntimeError(f"update_menu answered {status}: {body[:300]!r}")
        runs.append(json.loads(body)["id"])
    return runs


def _wait(hub_url: str, key: str, runs: list[str], timeout: float = 600.0) -> list[dict]:
    """Poll GET /v1/actions/<id> until every run has ended; the final runs."""
    deadline = time.monotonic() + timeout
    views: dict[str, dict] = {}
    while True:
        # A run that has ended is not asked again: the polls share the 2 cores with the workers.
        for r in runs:
            if r not in views or views[r]["status"] in ("pending", "in_progress"):
                views[r] = json.loads(http("GET", f"{hub_url}/v1/actions/{r}", key)[1])
        ended = all(v["status"] not in ("pending", "in_progress") for v in views.values())
        if ended or time.monotonic() > deadline:
            return [views[r] for r in runs]
        time.sleep(0.05)


def p4_fanout(hub_url: str, db_url: str, secret: str, workers: int, report: Report,
              connections: int = 100, items: int = 1000, latency: float = 0.02) -> None:
    """Time until every delivery succeeded against calls × latency ÷ workers; re-send counts POS calls."""
    mock = MockPos(latency)
    try:
        hub_id, auto, admin = create_admin_hub(db_url, secret, "Bench fan-out")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: add_byte_connection(hub_url, admin, f"Fridge fleet {i:03d}",
                                                        f"{mock.url}/c{i:03d}"), range(connections)))
        # Polls are not under test: off, so the workers only deliver (menu calls are counted alone anyway).
        sql(db_url, "UPDATE connections SET poll_interval_seconds = 0 WHERE hub_id = :h", h=hub_id)
        menu = _items(items)
        print(f"P4 fan-out: {items:,} items to {connections} connections, {latency * 1000:g} ms POS",
              flush=True)
        start = time.monotonic()
        runs = _send(hub_url, auto, menu)
        posted = time.monotonic() - start
        views = _wait(hub_url, auto, runs)
        total = time.monotonic() - start
        calls = mock.count("/menu", "PUT")
        ok = sum(d["status"] == "succeeded" for v in views for d in v["deliveries"])
        print("P4 fan-out: the same update again", flush=True)
        again_start = time.monotonic()
        again_runs = _send(hub_url, auto, menu)
        again_posted = time.monotonic() - again_start
        again = _wait(hub_url, auto, again_runs)
        again_s = time.monotonic() - again_start
        again_calls = mock.count("/menu", "PUT") - calls
        again_ok = sum(d["status"] == "succeeded" for v in again for d in v["deliveries"])
    finally:
        mock.stop()
    ideal = calls * latency / workers
    posts = -(-items // MAX_ITEMS)
    plural = "s" if workers > 1 else ""
    report.rows.append(Row(
        f"P4 `POST {ACTION_PATH}` {items:,} items ({posts} POSTs, schema max {MAX_ITEMS}) → {connections} "
        f"byte_fridge connections, {latency * 1000:g} ms per POS call",
        f"{total:.1f} s ({posted:.1f} s of it answering the POSTs), {ok}/{len(views) * connections} "
        f"deliveries ok, {calls} POS calls (ideal {ideal:.1f} s at {workers} worker{plural}); "
        f"unchanged re-send: {again_calls} POS calls, {again_ok} ok in {again_s:.1f} s ({again_posted:.1f} s "
        f"answering the POSTs)",
        "", "", "—", f"{total / ideal:.2f}× ideal" if ideal else "—", "≤ 1.25× ideal; re-send 0 calls"))
