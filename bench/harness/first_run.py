"""P0, the first five minutes: from `git clone` to the first new_purchase through the API.

A newcomer's path, timed end to end with the README's commands: clone the repository into a temporary
directory, `make run` there (venv, pip install, init-db, demo hub, server) with nothing but its printed
output to go on, sell a meal at the demo sandbox (`python -m hub simulate ... --sku SAL-CAESAR`, the
README's sandbox step), and poll GET /v1/triggers/new_purchase with the printed demo key until the sale
is there. pip installs from a local wheelhouse ("the wheels available"): `pip download -d` of both
requirement files once, outside the timing, then PIP_FIND_LINKS=<wheelhouse> and PIP_NO_INDEX=1 during
it, as on a machine whose pip cache already holds them. Needs no PostgreSQL or Redis, like `make run`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness.report import Report, Row
from bench.harness.servers import ROOT, free_port

GOAL_SECONDS = 60.0
WHEELHOUSE = Path(os.environ.get("BENCH_WHEELHOUSE", Path.home() / ".cache" / "pos-hub-bench" / "wheelhouse"))
# What a newcomer's shell does not have: the hub's settings, and a pip index (the wheels are local).
CLEARED_ENV = ("DATABASE_URL", "REDIS_URL", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "VIRTUAL_ENV")
SKU = "SAL-CAESAR"


@dataclass
class Timeline:
    """Monotonic times of each milestone, and what `make run` printed."""

    start: float
    marks: dict[str, float] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mark(self, name: str) -> None:
        with self.lock:
            self.marks.setdefault(name, time.monotonic())

    def printed(self, pattern: str) -> str | None:
        """The first group of the first printed line matching pattern."""
        with self.lock:
            for line in self.output:
                if found := re.search(pattern, line):
                    return found.group(1)
        return None


def prepare_wheelhouse(python: str) -> None:
    """`pip download` every requirement (and pip itself) into the wheelhouse once; not timed."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "-d",
                           str(WHEELHOUSE), "-r", str(ROOT / "requirements-dev.txt"), "pip"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"pip download into {WHEELHOUSE} failed:\n{done.stderr[-3000:]}")


def clone(dest: Path, with_changes: bool) -> None:
    """git clone this repository; with_changes also brings the working tree's uncommitted files along."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest)], check=True)
    if not with_changes:
        return

    def git(*args: str) -> list[str]:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
        return [line for line in done.stdout.split("\0") if line]

    for path in git("ls-files", "-z", "--deleted"):
        (dest / path).unlink(missing_ok=True)
    changed = {*git("ls-files", "-z", "--modified"), *git("ls-files", "-z", "--others", "--exclude-standard")}
    for path in changed:
        source = ROOT / path
        if source.is_file():
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / path)


def _read_output(proc: subprocess.Popen, timeline: Timeline) -> None:
    """Follow `make run`'s output: make echoes each command as it starts it."""
    assert proc.stdout is not None
    for line in proc.stdout:
        with timeline.lock:
            timeline.output.append(line.rstrip("\n"))
        if "-m hub init-db" in line:
            timeline.mark("pip")
        elif "-m hub run" in line:
            timeline.mark("demo")


def _get(url: str, key: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait(what: str, check: Callable[[], bool], proc: subprocess.Popen, timeline: Timeline,
          timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            tail = "\n".join(timeline.output[-30:])
            raise RuntimeError(f"`make run` exited with {proc.returncode} before {what}:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {timeout:.0f} s")
        time.sleep(0.1)


def _server_ready(base: str) -> bool:
    try:
        return _get(f"{base}/healthz")[0] == 200
    except OSError:
        return False


def first_purchase(dest: Path, python: str, port: int, timeout: float = 600.0) -> tuple[Timeline, dict]:
    """Run `make run` in dest and follow the newcomer's first steps; the timeline and the purchase seen."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV and not k.startswith("HUB_")}
    env.update(PIP_FIND_LINKS=str(WHEELHOUSE), PIP_NO_INDEX="1", PYTHONUNBUFFERED="1",
               HUB_BASE_URL=f"http://127.0.0.1:{port}")
    timeline = Timeline(time.monotonic())
    proc = subprocess.Popen(["make", "run", f"PYTHON={python}", f"PORT={port}"], cwd=dest, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, bufsize=1, start_new_session=True)
    reader = threading.Thread(target=_read_output, args=(proc, timeline), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("the server answering /healthz", lambda: _server_ready(base), proc, timeline, timeout)
        timeline.mark("ready")
        key = timeline.printed(r"automation_key: (hub_\S+)")
        connection = timeline.printed(r"sandbox_connection_id: (\S+)")
        if not key or not connection:
            raise RuntimeError("`make run` printed no demo key or sandbox connection:\n"
                               + "\n".join(timeline.output[-30:]))
        subprocess.run([str(dest / ".venv" / "bin" / "python"), "-m", "hub", "simulate", "--connection",
                        connection, "--action", "sell", "--sku", SKU], cwd=dest, env=env, check=True,
                       capture_output=True)
        timeline.mark("sold")
        seen: list[dict] = []

        def purchase_seen() -> bool:
            status, body = _get(f"{base}/v1/triggers/new_purchase", key)
            if status == 200:
                seen.extend(json.loads(body))
            return bool(seen)

        _wait("new_purchase", purchase_seen, proc, timeline, 120.0)
        timeline.mark("purchase")
        return timeline, seen[0]
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM `make run`'s process group (make and the hub), SIGKILL after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue


def p0_first_run(report: Report, with_changes: bool = True) -> float:
    """P0: clone, `make run`, first sale, first new_purchase; adds a row and the split; returns seconds."""
    python = shutil.which("python3") or "python3"
    print("P0 first run: filling the wheelhouse (not timed)", flush=True)
    prepare_wheelhouse(python)
    workdir = Path(tempfile.mkdtemp(prefix="hub-p0-"))
    try:
        print("P0 first run: git clone, make run, first sale", flush=True)
        start = time.monotonic()
        clone(workdir / "hub", with_changes)
        cloned = time.monotonic()
        timeline, purchase = first_purchase(workdir / "hub", python, free_port())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    marks = timeline.marks
    total = marks["purchase"] - start
    split = {"git clone": cloned - start,
             "venv + pip install": marks["pip"] - timeline.start,
             "init-db + demo": marks["demo"] - marks["pip"],
             "server ready": marks["ready"] - marks["demo"],
             "first purchase (simulate, poll)": marks["purchase"] - marks["ready"]}
    line = purchase["lines"][0]
    detail = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in split.items())
    print(f"P0: {total:.1f} s ({detail}); first new_purchase: {line['name']} × {line['quantity']} at "
          f"{line['unit_price']} {purchase['currency']}", flush=True)
    report.rows.append(Row("P0 `git clone` → first new_purchase (README's two commands)", f"{total:.1f} s",
                           "—", "—", "—", "—", f"< {GOAL_SECONDS:.0f} s"))
    report.notes.append(
        f"P0 split: {detail}. Wheels from a local wheelhouse (`pip download -d {WHEELHOUSE}` of both "
        f"requirement files once, then PIP_FIND_LINKS and PIP_NO_INDEX=1), pip install included; "
        f"{'the working tree (uncommitted changes copied over the clone)' if with_changes else 'HEAD'}; "
        f"first item: {line['name']!r} at {line['unit_price']} {purchase['currency']}.")
    return total
