"""Error texts (test results, last_error, dead letters) carry no credentials nor the URL of a failed call."""

from __future__ import annotations

import json

import pytest
import requests

from hub.connectors.base import ConnectorError, request_or_transient
from tests.outbound.servers import Reply, always

POS = "pos.example.test"


def test_a_vendor_answer_echoing_the_api_key_does_not_show_it(serve, dns, admin):
    body = json.dumps({"message": "key byte-secret-key is not valid"}).encode()
    pos = serve(always(Reply(401, body)))
    dns.answers[POS] = ["127.0.0.1"]
    hub = admin(POS)
    created = hub.add("byte_fridge", {"base_url": pos.url(POS, "/api")}, {"api_key": "byte-secret-key"})

    result = hub.test(created.json["id"])

    assert (result["ok"], result["error_kind"]) == (False, "permanent")
    assert "byte-secret-key" not in result["message"]
    assert "is not valid" in result["message"]


def test_a_connection_failure_names_the_host_but_not_the_path_or_query(serve):
    closed = serve(always(Reply()))
    closed.stop()
    url = closed.url(path="/v2/locations?access_token=sq0-secret")

    with pytest.raises(ConnectorError) as caught:
        request_or_transient(requests.Session(), "GET", url, timeout=2)

    message = caught.value.message
    assert "127.0.0.1" in message
    assert "sq0-secret" not in message
    assert "/v2/locations" not in message
