"""A bare Flask app answering the benchmarked paths with the hub's own response bytes (no database)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)
_DIR = Path(os.environ.get("BENCH_BASELINE_DIR", "."))
_bodies: dict[str, bytes] = {}


def _body(name: str) -> bytes:
    """The captured hub response body of that name (read once)."""
    if name not in _bodies:
        path = _DIR / f"{name}.json"
        _bodies[name] = path.read_bytes() if path.exists() else b"{}"
    return _bodies[name]


@app.get("/v1/triggers/new_purchase")
def poll() -> Response:
    """The same 100-item JSON body the hub answered."""
    return Response(_body("poll"), status=200, mimetype="application/json")


@app.post("/v1/pos/purchases")
def purchases() -> Response:
    """Parse the JSON body and answer 201 with the hub's response bytes."""
    data = request.get_json()
    name = "batch" if isinstance(data, dict) and "purchases" in data else "single"
    return Response(_body(name), status=201, mimetype="application/json")
