"""Real HTTP servers on loopback for the outbound tests: each answers from a function, recording requests."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """What a server answers: a body given at once (with Content-Length) or chunks dripped until close."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    chunks: Iterable[bytes] | None = None
    pause: float = 0.0


Answer = Callable[[str, str], Reply]


class LocalServer:
    """A threaded HTTP(S) server on `address`; `asked` lists (method, path) of every request it received."""

    def __init__(self, answer: Answer, address: str = "127.0.0.1", port: int = 0,
                 tls: ssl.SSLContext | None = None) -> None:
        self.asked: list[tuple[str, str]] = []
        self.hosts: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                server.asked.append((self.command, self.path))
                server.hosts.append(self.headers.get("Host", ""))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                reply = answer(self.command, self.path)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunks is None:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for chunk in reply.chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        time.sleep(reply.pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up, as the caps make it do
                self.close_connection = True

            do_GET = do_POST = do_PUT = _serve  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        Handler.protocol_version = "HTTP/1.1"
        self._server = ThreadingHTTPServer((address, port), Handler)
        self._server.daemon_threads = True
        # A client that hangs up or refuses the certificate is what some tests want; no traceback for it.
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def url(self, host: str = "127.0.0.1", path: str = "") -> str:
        """This server's URL under a host name (which the test makes resolve to it)."""
        return f"http://{host}:{self.port}{path}"

    def start(self) -> LocalServer:
        """Serve in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


def always(reply: Reply) -> Answer:
    """An answer function giving the same reply to every request."""
    return lambda method, path: reply
