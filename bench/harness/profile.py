"""--profile: P1 and P2 single in-process under cProfile, with SQL statements and PostgreSQL's own time."""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import time
from collections.abc import Callable

from sqlalchemy import event, text

from bench import run as counting  # bench/run.py's SQL statement counter
from bench.harness.report import Report
from bench.harness.scenarios import POLL_PATH, PURCHASES_PATH
from bench.harness.seed import Tenant


class _DbClock:
    """Time spent inside cursor.execute (the round trip to PostgreSQL) and the statements sent."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        self.seconds, self.started, self.sql = 0.0, 0.0, []
        event.listen(engine, "before_cursor_execute", counting._count)
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn, _cursor, statement, params, *_rest) -> None:  # noqa: ANN001
        self.started = time.perf_counter()
        self.sql.append((statement, params))

    def _after(self, *_args: object) -> None:
        self.seconds += time.perf_counter() - self.started


def _top(profiler: cProfile.Profile, count: int = 15) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    # The hub's own frames and its libraries' below the view, not Flask's and the test client's wrappers.
    stats.sort_stats("cumulative").print_stats(r"/(hub|actions|sqlalchemy|psycopg|redis|json)/", count)
    lines = [re.sub(r"\S*/(site-packages|main)/", "", line) for line in out.getvalue().splitlines()[5:]]
    return "\n".join(line for line in lines if line.strip())


def _pg_time(engine, statement: str, params: object) -> str:  # noqa: ANN001
    """pg_stat_statements when loaded, else EXPLAIN ANALYZE of the statement."""
    with engine.connect() as c:
        try:
            rows = c.execute(text("SELECT calls, mean_exec_time, query FROM pg_stat_statements "
                                  "ORDER BY total_exec_time DESC LIMIT 5")).all()
            return "\n".join(f"{r[0]} calls, {r[1]:.2f} ms mean: {r[2][:100]}" for r in rows)
        except Exception:  # noqa: BLE001 - not in shared_preload_libraries: fall back
            c.rollback()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return "pg_stat_statements not loaded; EXPLAIN ANALYZE of the poll query:\n" + plan


def _measure(name: str, call: Callable[[int], None], clock: _DbClock, report: Report, n: int) -> None:
    for i in range(20):
        call(10_000 + i)  # warm-up
    counting.statements, clock.seconds = 0, 0.0
    start = time.perf_counter()
    for i in range(n):
        call(i)
    wall = (time.perf_counter() - start) / n * 1000
    db_ms = clock.seconds / n * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        call(20_000 + i)
    profiler.disable()
    line = (f"profile {name} in-process (1 thread): {wall:.1f} ms/request, {counting.statements / n:.1f} SQL "
            f"statements/request, {db_ms:.1f} ms in cursor.execute ({db_ms / wall:.0%})")
    print(f"\n{line}\ntop 15 by cumulative time:\n{_top(profiler)}", flush=True)
    report.notes.append(line)


def run_profile(db_url: str, redis_url: str, secret: str, rate_limit: int, tenant: Tenant, report: Report,
                n: int = 200) -> None:
    """Profile P1's poll and P2's single post through the WSGI app, with figures added as notes."""
    from hub import create_app
    from hub.config import Settings

    app = create_app(Settings(database_url=db_url, redis_url=redis_url, secret_keys=(secret,),
                              rate_limit_per_minute=rate_limit))
    engine = app.extensions["hub_runtime"].db.engine
    clock = _DbClock(engine)
    client = app.test_client()
    auto = {"Authorization": f"Bearer {tenant.automation_key}"}
    pos = {"Authorization": f"Bearer {tenant.pos_key}"}

    def poll(_i: int) -> None:
        assert client.get(POLL_PATH, headers=auto).status_code == 200

    def post(i: int) -> None:
        body = {**counting.purchase(i), "external_id": f"PROF-{i}"}
        assert client.post(PURCHASES_PATH, headers=pos, json=body).status_code in (200, 201)

    _measure(f"P1 `GET {POLL_PATH}`", poll, clock, report, n)
    clock.sql.clear()
    poll(0)
    statement, params = next((s, p) for s, p in clock.sql if "FROM events" in s)
    print("\n" + _pg_time(engine, statement, params), flush=True)
    _measure(f"P2 `POST {PURCHASES_PATH}` one purchase", post, clock, report, n)
    engine.dispose()
