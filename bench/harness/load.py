"""Load generation: wrk with a generated Lua script, or a multi-process Python fallback."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

LINES = [{"sku": "SAL-CAESAR", "quantity": 1, "unit_price": "6.50"},
         {"sku": "SOUP-TOMATO", "quantity": 2, "unit_price": "4.00"}]


@dataclass
class Workload:
    """One kind of request: method, path, keys rotated per request, and a body kind."""

    method: str
    path: str
    keys: list[str] = field(default_factory=list)
    body: str | None = None  # None, "purchase" (one, 2 lines) or "batch" (100 purchases)
    batch_size: int = 100


@dataclass
class Result:
    """What one load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    generator: str

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str | None:
    """The wrk binary, installed with apt-get when missing; None when it cannot be had."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: apt-get install -y wrk", flush=True)
    try:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, timeout=300,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return shutil.which("wrk")


def _purchase_json(external_id: str, when: str) -> str:
    """One purchase as a POS posts it."""
    return json.dumps({"external_id": external_id, "location_external_id": "fridge-1", "occurred_at": when,
                       "currency": "EUR", "lines": LINES}, separators=(",", ":"))


def _lua(w: Workload, run: str, when: str) -> str:
    """A wrk script rotating keys and making unique external ids per request, reporting as JSON."""
    keys = ",".join(json.dumps(k) for k in w.keys) or '""'
    head, tail = _purchase_json("@ID@", when).split('"@ID@"')
    return f"""
local keys = {{{keys}}}
local method, path, kind, size = "{w.method}", {json.dumps(w.path)}, "{w.body or ''}", {w.batch_size}
local head, tail = {json.dumps(head)}, {json.dumps(tail)}
local threads_made = 0
local n = 0
function setup(thread)
  thread:set("tid", threads_made)
  threads_made = threads_made + 1
end
function init(args)
  prefix = "{run}-" .. tostring(tid) .. "-"
end
local function purchase()
  n = n + 1
  return head .. '"' .. prefix .. n .. '"' .. tail
end
function request()
  local headers = {{["Content-Type"] = "application/json"}}
  if keys[1] ~= "" then
    headers["Authorization"] = "Bearer " .. keys[(n % #keys) + 1]
  end
  local body = nil
  if kind == "purchase" then
    body = purchase()
  elseif kind == "batch" then
    local items = {{}}
    for i = 1, size do items[i] = purchase() end
    body = '{{"purchases":[' .. table.concat(items, ",") .. ']}}'
  else
    n = n + 1
  end
  return wrk.format(method, path, headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  local fmt = '{{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}}'
  io.write("BENCHJSON " .. string.format(fmt,
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)) .. "\\n")
end
"""


def run_wrk(wrk: str, base_url: str, w: Workload, seconds: float, connections: int,
            threads: int = 2) -> Result:
    """Drive base_url with wrk for seconds and parse its JSON summary line."""
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_lua(w, uuid.uuid4().hex[:10], when))
        script = f.name
    try:
        argv = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
                "--timeout", "10s", "-s", script, base_url]
        out = subprocess.run(argv,
                             capture_output=True, text=True, timeout=seconds + 60, check=False).stdout
    finally:
        Path(script).unlink(missing_ok=True)
    line = next((x for x in out.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    d = json.loads(line.removeprefix("BENCHJSON "))
    return Result(d["requests"], d["duration_us"] / 1e6, d["p50_us"] / 1000, d["p99_us"] / 1000,
                  d["errors"], "wrk")


def _client(args: tuple) -> tuple[list[float], int]:
    """One keep-alive connection sending requests until the deadline (a fallback worker process)."""
    host, port, w, deadline, tag, when = args
    conn = http.client.HTTPConnection(host, port, timeout=10)
    latencies: list[float] = []
    errors = n = 0
    while time.monotonic() < deadline:
        n += 1
        headers = {"Content-Type": "application/json"}
        if w.keys:
            headers["Authorization"] = f"Bearer {w.keys[n % len(w.keys)]}"
        body = None
        if w.body == "purchase":
            body = _purchase_json(f"{tag}-{n}", when)
        elif w.body == "batch":
            body = '{"purchases":[' + ",".join(_purchase_json(f"{tag}-{n}-{i}", when)
                                               for i in range(w.batch_size)) + "]}"
        start = time.perf_counter()
        try:
            conn.request(w.method, w.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status >= 400:
                errors += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies, errors


def run_python(base_url: str, w: Workload, seconds: float, connections: int) -> Result:
    """The fallback generator: one process per connection, so it is not the bottleneck on the client side."""
    host, port = base_url.split("//", 1)[1].rstrip("/").split(":")
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    run = uuid.uuid4().hex[:10]
    deadline = time.monotonic() + seconds
    jobs = [(host, int(port), w, deadline, f"{run}-{i}", when) for i in range(connections)]
    start = time.monotonic()
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        parts = pool.map(_client, jobs)
    elapsed = time.monotonic() - start
    latencies = sorted(x for part, _ in parts for x in part)
    if not latencies:
        return Result(0, elapsed, 0.0, 0.0, 0, "python")
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return Result(len(latencies), elapsed, pick(0.5), pick(0.99), sum(e for _, e in parts), "python")


class Driver:
    """Runs a workload with warm-up against a server, with wrk when present and Python otherwise."""

    def __init__(self, mode: str, connections: int, seconds: float, warmup: float) -> None:
        self.wrk = ensure_wrk() if mode in ("auto", "wrk") else None
        if mode == "wrk" and self.wrk is None:
            raise RuntimeError("wrk is not installed and apt-get could not install it")
        self.connections, self.seconds, self.warmup = connections, seconds, warmup
        self.served: dict[str, int] = {}  # requests per server, measured and warm-up, for P5

    def run(self, base_url: str, w: Workload, seconds: float | None = None) -> Result:
        """Warm up, then measure for the fixed duration."""
        one = (lambda s: run_wrk(self.wrk, base_url, w, s, self.connections)) if self.wrk else \
            (lambda s: run_python(base_url, w, s, self.connections))
        if self.warmup > 0:
            self.served[base_url] = self.served.get(base_url, 0) + one(self.warmup).requests
        result = one(seconds or self.seconds)
        self.served[base_url] = self.served.get(base_url, 0) + result.requests
        return result
