"""Calls to a REST POS over real sockets: no redirect followed, answers capped in size and time."""

from __future__ import annotations

import time

from tests.outbound.servers import Reply, always

POS = "pos.example.test"
FRIDGES = {"fields": {"fridges_list": "fridges"}}
BIG = 17 * 1024 * 1024


def byte_fridge(admin, server, **config):
    """A Byte connection to `server` under the name POS (allow-listed), created through the admin API."""
    created = admin.add("byte_fridge", {"base_url": server.url(POS, "/api"), **FRIDGES, **config},
                        {"api_key": "byte-secret-key"})
    assert created.status_code == 201, created.json
    return created.json["id"]


def test_a_redirect_is_not_followed(serve, dns, admin):
    inside = serve(always(Reply(500, b"internal-secret")))
    pos = serve(always(Reply(302, b"", {"Location": inside.url(path="/admin")})))
    dns.answers[POS] = ["127.0.0.1"]
    hub = admin(POS)

    hub.test(byte_fridge(hub, pos))

    assert pos.asked == [("GET", "/api/fridges")]
    assert inside.asked == []


def test_a_redirect_fails_permanently_without_echoing_any_body(serve, dns, admin):
    inside = serve(always(Reply(500, b"internal-secret")))
    pos = serve(always(Reply(302, b"redirect-page-secret", {"Location": inside.url(path="/admin")})))
    dns.answers[POS] = ["127.0.0.1"]
    hub = admin(POS)

    result = hub.test(byte_fridge(hub, pos))

    assert (result["ok"], result["error_kind"]) == (False, "permanent")
    assert "redirect" in result["message"]
    assert "secret" not in result["message"]


def test_an_answer_larger_than_the_cap_is_refused(serve, dns, admin):
    padding = (b"x" * 65536 for _ in range(BIG // 65536))
    body = [b'{"pad": "', *padding, b'", "fridges": []}']
    pos = serve(always(Reply(200, chunks=body)))
    dns.answers[POS] = ["127.0.0.1"]
    hub = admin(POS)

    result = hub.test(byte_fridge(hub, pos))

    assert (result["ok"], result["error_kind"]) == (False, "permanent")
    assert "larger than" in result["message"]


def test_a_slow_answer_is_cut_at_the_deadline(serve, dns, admin, monkeypatch):
    monkeypatch.setattr("hub.outbound.reading.DEADLINE_SECONDS", 0.5)
    pos = serve(always(Reply(200, chunks=[b"[", *([b" "] * 100), b"]"], pause=0.05)))
    dns.answers[POS] = ["127.0.0.1"]
    hub = admin(POS)
    connection_id = byte_fridge(hub, pos)
    started = time.monotonic()

    result = hub.test(connection_id)

    assert (result["ok"], result["error_kind"]) == (False, "transient")
    assert time.monotonic() - started < 2.5
