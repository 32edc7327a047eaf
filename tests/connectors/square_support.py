"""What the Square tests share: recorded answers, a connector with test credentials, sent bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.connectors.square import SquareConnector

FIXTURES = Path(__file__).parent.parent / "fixtures" / "square"
API = "https://connect.squareup.com"
TOKEN = "EAAAl-test-token"
SIG_KEY = "sq-sig-key-Xq3"


def fixture(name: str) -> Any:
    """A recorded Square answer from tests/fixtures/square."""
    return json.loads((FIXTURES / name).read_text())


def connector(**settings: Any) -> SquareConnector:
    """A Square connector with these settings and test credentials."""
    return SquareConnector(settings, {"access_token": TOKEN, "webhook_signature_key": SIG_KEY})


def sent_json(call: Any) -> Any:
    """The JSON body of a recorded call."""
    return json.loads(call.request.body)
