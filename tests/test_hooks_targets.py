"""Hook targets: which addresses are refused, and the pinned HTTPS connection that keeps the host name."""

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.hooks import sender
from hub.hooks.targets import UnsafeTarget, check_target, is_public
from tests.tls import certificate


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1",
                                     "fc00::1", "::ffff:10.0.0.1", "::"])
def test_private_and_reserved_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address):
    assert is_public(address)


def test_an_allow_listed_host_may_resolve_to_loopback():
    target = check_target("http://localhost:8123/hook?x=1", allowed_hosts=("LOCALHOST",))
    assert (target.host, target.port, target.path) == ("localhost", 8123, "/hook?x=1")
    assert target.ip in ("127.0.0.1", "::1")


def test_the_allow_list_is_by_host_name_not_by_address():
    with pytest.raises(UnsafeTarget):
        check_target("http://127.0.0.1/hook", allowed_hosts=("localhost",))


def test_credentials_in_the_url_are_refused():
    with pytest.raises(UnsafeTarget, match="user name or password"):
        check_target("https://user:pw@93.184.215.14/hook")


def test_a_bad_port_is_refused():
    with pytest.raises(UnsafeTarget, match="not valid"):
        check_target("https://93.184.215.14:99999/hook")


def test_the_host_header_carries_a_non_default_port_only():
    assert check_target("https://93.184.215.14/x").host_header == "93.184.215.14"
    assert check_target("http://93.184.215.14:8080/x").host_header == "93.184.215.14:8080"


@pytest.fixture
def https_server(tmp_path, monkeypatch):
    """An HTTPS server on 127.0.0.1 whose certificate is for hooks.example.test, trusted as the CA bundle."""
    cert_file, key_file = certificate(tmp_path, "hooks.example.test")
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            seen["host"] = self.headers["Host"]
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    def remember_sni(sock, server_name, _context):
        seen["sni"] = server_name

    context.sni_callback = remember_sni
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setattr(sender, "CA_BUNDLE", str(cert_file))
    monkeypatch.setattr("hub.hooks.targets.resolve", lambda host, port: ["127.0.0.1"])
    yield server, seen
    server.shutdown()
    server.server_close()


def test_https_connects_to_the_checked_address_verifying_the_host_names_certificate(https_server):
    server, seen = https_server
    url = f"https://hooks.example.test:{server.server_port}/hook"
    target = check_target(url, allowed_hosts=("hooks.example.test",))
    answer = sender.post(target, b"{}", {})
    assert answer.status == 204
    assert seen == {"host": f"hooks.example.test:{server.server_port}", "sni": "hooks.example.test"}


def test_https_refuses_a_certificate_for_another_name(https_server):
    server, _ = https_server
    target = check_target(f"https://other.example.test:{server.server_port}/hook",
                          allowed_hosts=("other.example.test",))
    with pytest.raises(sender.SendFailed):
        sender.post(target, b"{}", {})
