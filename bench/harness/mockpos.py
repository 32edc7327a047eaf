"""A local Byte fridge account: fixed latency per call, menu pushes counted, transactions paged by cursor."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class MockPos(ThreadingHTTPServer):
    """Answers every call after latency seconds; 503 while down; serves `waiting` transactions in pages."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, latency: float = 0.02, waiting: int = 0, page: int = 500) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency, self.waiting, self.page = latency, waiting, page
        self.down = False
        self.calls: Counter[str] = Counter()  # "METHOD /path" without query
        self.lock = threading.Lock()
        self.first_page_at: float | None = None
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self.server_port}"

    def count(self, suffix: str, method: str = "") -> int:
        """Calls whose path ends with suffix (and of method, when given)."""
        return sum(n for k, n in self.calls.items() if k.endswith(suffix) and k.startswith(method))

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()

    def transactions(self, cursor: int) -> dict:
        """The page of transactions after cursor."""
        end = min(self.waiting, cursor + self.page)
        rows = [{"id": f"T{n:06d}", "fridge_id": "fridge-1", "currency": "EUR",
                 "timestamp": (EPOCH + timedelta(seconds=n)).isoformat(),
                 "items": [{"sku": "SAL-CAESAR", "quantity": 1, "unit_price": "6.50"}]}
                for n in range(cursor + 1, end + 1)]
        return {"transactions": rows, "next_cursor": str(end), "has_more": end < self.waiting}


class _Handler(BaseHTTPRequestHandler):
    """Every method: sleep, count, answer."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        server: MockPos = self.server  # type: ignore[assignment]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(server.latency)
        url = urlsplit(self.path)
        with server.lock:
            server.calls[f"{self.command} {url.path}"] += 1
        status, body = 200, {}
        if server.down:
            status, body = 503, {"message": "maintenance"}
        elif self.command == "GET" and url.path.endswith("/transactions"):
            since = parse_qs(url.query).get("since", ["0"])[0]
            body = server.transactions(int(since or 0))
            if server.first_page_at is None:
                server.first_page_at = time.monotonic()
        elif self.command == "GET":
            body = []  # fridges and inventory: none listed
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_PATCH = _answer  # noqa: N815 - the http.server hook names

    def log_message(self, *_args: object) -> None:
        """Quiet."""
