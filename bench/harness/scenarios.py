"""The scenarios of issue 13 (P1 poll, P2 ingest, P3 hooks, P5 RSS), each adding rows to the report."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

from bench.harness.load import LINES, Driver, Result, Workload
from bench.harness.report import Report, Row
from bench.harness.seed import Tenant, http
from bench.harness.servers import children, rss_mb

POLL_PATH = "/v1/triggers/new_purchase?limit=100"
PURCHASES_PATH = "/v1/pos/purchases"


@dataclass
class Targets:
    """The two servers under test and the seeded tenants."""

    hub_url: str
    baseline_url: str
    hub_master: int
    baseline_master: int
    tenants: list[Tenant]
    poll_bytes: int


def _ms(x: float) -> str:
    return f"{x:.1f} ms" if x < 100 else f"{x:,.0f} ms"


def _rate(r: Result, per: int = 1, unit: str = "req/s") -> str:
    errors = f" ({r.errors} errors)" if r.errors else ""
    return f"{r.rate * per:,.0f} {unit}{errors}"


def _row(path: str, hub: Result, base: Result | None, goal: str, per: int = 1, unit: str = "req/s") -> Row:
    """A row comparing hub and baseline results."""
    if base is None:
        return Row(path, _rate(hub, per, unit), _ms(hub.p50_ms), _ms(hub.p99_ms), "—", "—", goal)
    ratio = f"{hub.rate / base.rate:.2f}" if base.rate else "—"
    return Row(path, _rate(hub, per, unit), _ms(hub.p50_ms), _ms(hub.p99_ms),
               f"{_rate(base)}, p99 {_ms(base.p99_ms)}", ratio, goal)


def p1_poll(t: Targets, d: Driver, report: Report) -> None:
    """P1: the new_purchase poll, limit 100, keys of every hub rotated per request."""
    keys = [x.automation_key for x in t.tenants]
    print("P1 poll: hub", flush=True)
    hub = d.run(t.hub_url, Workload("GET", POLL_PATH, keys))
    print("P1 poll: bare Flask", flush=True)
    base = d.run(t.baseline_url, Workload("GET", POLL_PATH, keys))
    report.rows.append(_row(f"P1 `GET {POLL_PATH}` ({t.poll_bytes / 1000:.0f} KB)", hub, base,
                            "≥ 0.5×, p99 ≤ 25 ms"))


def p2_ingest(t: Targets, d: Driver, report: Report) -> None:
    """P2: purchase posts, single (2 lines) and batches of 100, from one hub's POS and from 16 hubs'."""
    one, many = [t.tenants[0].pos_key], [x.pos_key for x in t.tenants[:16]]
    print("P2 single: bare Flask", flush=True)
    base = d.run(t.baseline_url, Workload("POST", PURCHASES_PATH, one, "purchase"))
    for keys, who in ((one, "1 hub"), (many, f"{len(many)} hubs")):
        print(f"P2 single, {who}: hub", flush=True)
        hub = d.run(t.hub_url, Workload("POST", PURCHASES_PATH, keys, "purchase"))
        report.rows.append(_row(f"P2 `POST {PURCHASES_PATH}` one purchase, 2 lines, {who}", hub, base,
                                "≥ 600 req/s"))
    for keys, who in ((one, "1 hub"), (many, f"{len(many)} hubs")):
        print(f"P2 batch, {who}: hub", flush=True)
        hub = d.run(t.hub_url, Workload("POST", PURCHASES_PATH, keys, "batch"))
        report.rows.append(_row(f"P2 `POST {PURCHASES_PATH}` batches of 100, {who}", hub, None,
                                "≥ 10,000 purchases/s", per=100, unit="purchases/s"))


def worker_rss(master: int) -> list[float]:
    """VmRSS in MB of each gunicorn worker of master."""
    return [rss_mb(pid) for pid in children(master)]


def p5_rss(t: Targets, d: Driver, report: Report, before: list[float], base_before: list[float]) -> None:
    """P5: web worker RSS before the scenarios and after every request they sent."""
    after, base_after = worker_rss(t.hub_master), worker_rss(t.baseline_master)
    fmt = lambda xs: " / ".join(f"{x:.0f}" for x in xs) + " MB"  # noqa: E731
    served, base_served = d.served.get(t.hub_url, 0), d.served.get(t.baseline_url, 0)
    report.rows.append(Row(f"P5 web worker RSS before → after {served:,} hub / {base_served:,} baseline req.",
                           f"{fmt(before)} → {fmt(after)}", "", "", f"{fmt(base_before)} → {fmt(base_after)}",
                           f"{max(after, default=0) / max(base_after, default=1):.1f}× memory",
                           "≤ 120 MB, flat"))


class _Receiver(ThreadingHTTPServer):
    """A local REST-hook target verifying each Standard Webhooks signature and noting arrival times."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.secret = ""
        self.arrived: dict[str, float] = {}
        self.bad_signatures = 0


class _ReceiverHandler(BaseHTTPRequestHandler):
    """Answers 204 to every POST."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
        """Verify, note the purchase's external_id and its arrival time, answer 204."""
        now = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: _Receiver = self.server  # type: ignore[assignment]
        try:
            Webhook(server.secret).verify(body, dict(self.headers.items()))
            server.arrived.setdefault(json.loads(body)["external_id"], now)
        except Exception:  # noqa: BLE001 - any failure is a bad delivery, counted
            server.bad_signatures += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        """Quiet."""


def p3_hooks(t: Targets, d: Driver, report: Report, rate: float = 200.0, batch: int = 10,
             posters: int = 8) -> None:
    """P3: purchases posted at a steady rate (batches of `batch`, on `posters` concurrent connections, so a
    slow answer never holds the schedule back); each new_purchase event's signed REST hook timed from the
    answer to its post (the commit) to its arrival at a local receiver."""
    tenant = t.tenants[16] if len(t.tenants) > 16 else t.tenants[-1]
    receiver = _Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        status, body = http("POST", f"{t.hub_url}/v1/hooks", tenant.automation_key, {
            "trigger": "new_purchase", "target_url": f"http://127.0.0.1:{receiver.server_port}/hook"})
        if status != 201:
            raise RuntimeError(f"hook subscription answered {status}: {body[:300]!r}")
        receiver.secret = json.loads(body)["secret"]
        print(f"P3 hooks: {rate:g} purchases/s for {d.seconds:g} s, batches of {batch}", flush=True)
        committed: dict[str, float] = {}
        total = int(rate * d.seconds) // batch
        start = time.monotonic()
        tag = f"P3-{int(start)}"
        when = datetime.now(UTC).replace(microsecond=0).isoformat()
        late: list[float] = []

        def post(i: int) -> None:
            due = start + i * batch / rate
            time.sleep(max(0.0, due - time.monotonic()))
            late.append(time.monotonic() - due)
            exts = [f"{tag}-{i}-{j}" for j in range(batch)]
            code, _ = http("POST", f"{t.hub_url}{PURCHASES_PATH}", tenant.pos_key, {"purchases": [
                {"external_id": ext, "location_external_id": "fridge-1", "occurred_at": when,
                 "currency": "EUR", "lines": LINES} for ext in exts]})
            if code < 300:
                done = time.monotonic()
                committed.update((ext, done) for ext in exts)

        with ThreadPoolExecutor(posters) as pool:
            list(pool.map(post, range(total)))
        sent_rate = len(committed) / (time.monotonic() - start)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(set(committed) & set(receiver.arrived)) < len(committed):
            time.sleep(0.2)
        lat = sorted((receiver.arrived[k] - v) * 1000 for k, v in committed.items() if k in receiver.arrived)
    finally:
        receiver.shutdown()
        receiver.server_close()
    pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: 0.0)
    bad = f", {receiver.bad_signatures} bad signatures" if receiver.bad_signatures else ""
    behind = max(late, default=0.0)
    report.rows.append(Row(f"P3 event → signed REST hook, purchases posted at {rate:g}/s (batches of "
                           f"{batch}, {posters} concurrent posters)",
                           f"{len(lat):,}/{len(committed):,} delivered (posted at {sent_rate:.0f}/s, a post "
                           f"at most {behind * 1000:.0f} ms behind schedule){bad}",
                           _ms(pick(0.5)), _ms(pick(0.99)), "—", "—", "p99 ≤ 1 s"))
