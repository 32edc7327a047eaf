"""The processes and stores of one run: a fresh PostgreSQL database, a Redis db, gunicorn, rq, scheduler."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until url answers anything over HTTP (or the process dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def children(pid: int) -> list[int]:
    """Direct child process ids of pid (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def wait_workers(master: int, count: int, timeout: float = 30.0) -> None:
    """Wait until gunicorn's master has count workers."""
    deadline = time.monotonic() + timeout
    while len(children(master)) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def rss_mb(pid: int) -> float:
    """VmRSS of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Processes:
    """Every process the run started, each in its own process group, stopped together at the end."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        """Start argv in its own session with output to logdir/name.log."""
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - kept open for the process's life
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.procs.append((name, proc))
        return proc

    def stop(self, names: list[str], grace: float = 5.0) -> None:
        """Stop the named processes (a worker pool after its scenario) as stop_all does, keep the rest."""
        chosen = [(n, p) for n, p in self.procs if n in names]
        self.procs = [(n, p) for n, p in self.procs if n not in names]
        rest, self.procs = self.procs, chosen
        try:
            self.stop_all(grace)
        finally:
            self.procs = rest

    def stop_all(self, grace: float = 5.0) -> None:
        """SIGTERM every started process group, then SIGKILL what is left after grace seconds."""
        for _, proc in self.procs:
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _, proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _, proc in self.procs:
            _signal_group(proc.pid, signal.SIGKILL)  # also stray children of an exited leader
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()


def _signal_group(pgid: int, sig: int) -> None:
    """Signal one process group this run created (its leader's pid is the group id)."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def gunicorn_argv(app: str, port: int, workers: int) -> list[str]:
    """The Procfile's web command (its config, access log on stdout) on a local port."""
    return [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--access-logfile", "-", app]


class Database:
    """A PostgreSQL database of this run's own, created empty and dropped at the end."""

    def __init__(self, name: str) -> None:
        self.name = name
        base = ADMIN_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{name}"
        self._admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.created = False

    def create(self) -> None:
        """CREATE DATABASE (dropping a leftover of the same name first)."""
        with self._admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.created = True

    def drop(self) -> None:
        """DROP DATABASE, closing whatever is still connected."""
        if self.created:
            with self._admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.created = False
        self._admin.dispose()

    def server_version(self) -> str:
        """PostgreSQL's version string."""
        with self._admin.connect() as c:
            return str(c.execute(text("SHOW server_version")).scalar())


def flush_redis(url: str) -> None:
    """FLUSHDB the run's own Redis db."""
    from redis import Redis

    client = Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def queued_jobs(url: str, names: list[str]) -> int:
    """Jobs waiting or running in the hub's rq queues of these names (0 when all are drained)."""
    from redis import Redis
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from hub.jobs import QUEUE_PREFIX

    client = Redis.from_url(url)
    try:
        return sum(Queue(QUEUE_PREFIX + n, connection=client).count
                   + StartedJobRegistry(QUEUE_PREFIX + n, connection=client).count for n in names)
    finally:
        client.close()


def wait_drained(url: str, names: list[str], timeout: float = 120.0) -> int:
    """Wait until these queues hold no waiting or running job; the jobs still there at the timeout."""
    deadline = time.monotonic() + timeout
    while (left := queued_jobs(url, names)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def wait_registered(url: str, queue: str, count: int, timeout: float = 60.0) -> int:
    """Wait until `count` rq workers listening to this queue have registered (imported the hub and are
    ready to take jobs); the number registered."""
    from redis import Redis
    from rq import Queue, Worker

    from hub.jobs import QUEUE_PREFIX

    client = Redis.from_url(url)
    try:
        deadline = time.monotonic() + timeout
        while (ready := Worker.count(queue=Queue(QUEUE_PREFIX + queue, connection=client))) < count \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        return ready
    finally:
        client.close()
