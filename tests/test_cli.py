"""The support staff's CLI, `python -m hub`."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from hub.cli import main
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys, settings, *argv):
    code = main(["--json", *argv], settings=settings)
    return code, json.loads(capsys.readouterr().out)


def test_create_hub_then_key_prints_a_working_key(capsys, settings, client):
    _, hub = run_cli(capsys, settings, "create-hub", "Fresh Meals Ltd")
    code, key = run_cli(capsys, settings, "create-key", "--hub", hub["id"], "--scope", "automation")
    assert code == 0
    assert key["key"].startswith("hub_")
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {key['key']}"})
    assert me.json["hub"]["name"] == "Fresh Meals Ltd"


def test_revoke_key_stops_the_key(capsys, settings, client):
    _, hub = run_cli(capsys, settings, "create-hub", "Revokers")
    _, key = run_cli(capsys, settings, "create-key", "--hub", hub["id"], "--scope", "admin")
    code, _ = run_cli(capsys, settings, "revoke-key", key["id"])
    assert code == 0
    assert client.get("/v1/me", headers={"X-API-Key": key["key"]}).status_code == 401


def test_add_connection_rejects_settings_its_connector_does_not_accept(capsys, settings):
    _, hub = run_cli(capsys, settings, "create-hub", "Bad settings")
    code, out = run_cli(
        capsys,
        settings,
        "add-connection",
        "--hub",
        hub["id"],
        "--type",
        "sandbox",
        "--name",
        "Fleet",
        "--config",
        '{"locations": "not a list"}',
    )
    assert code == 2
    assert "settings/locations" in out["error"]


def test_pos_key_needs_a_connection(capsys, settings):
    _, hub = run_cli(capsys, settings, "create-hub", "Needs connection")
    code, out = run_cli(capsys, settings, "create-key", "--hub", hub["id"], "--scope", "pos")
    assert code == 2
    assert "connection" in out["error"]


def test_add_location_and_list_hubs_count_it(capsys, settings):
    _, hub = run_cli(capsys, settings, "create-hub", "Counted")
    _, con = run_cli(
        capsys, settings, "add-connection", "--hub", hub["id"], "--type", "push", "--name", "Till"
    )
    code, loc = run_cli(
        capsys,
        settings,
        "add-location",
        "--hub",
        hub["id"],
        "--connection",
        con["id"],
        "--external-id",
        "store-7",
        "--name",
        "Store 7",
    )
    assert code == 0
    _, listing = run_cli(capsys, settings, "list-hubs")
    mine = next(h for h in listing["hubs"] if h["id"] == hub["id"])
    assert (mine["connections"], mine["locations"]) == (1, 1)


def test_human_output_is_plain_text(capsys, settings):
    assert main(["create-hub", "Plain"], settings=settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("id: hub_")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_serves_the_demo_key_printed_by_demo(tmp_path):
    """What `make run` does: init-db, demo (prints a key and a curl line), run; the key answers /v1/me."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "HUB_SECRET_KEYS": make_settings("sqlite://").secret_keys[0],
        "HUB_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "-m", "hub", "init-db"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    demo = subprocess.run(
        [sys.executable, "-m", "hub", "--json", "demo"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    printed = json.loads(demo.stdout)
    assert printed["try"].startswith("curl ")
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "run", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 20
        while True:
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/v1/me",
                    headers={"Authorization": f"Bearer {printed['automation_key']}"},
                    timeout=2,
                )
                break
            except requests.ConnectionError:
                assert time.time() < deadline, "the hub did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["hub"]["name"] == "Demo hub"
    finally:
        server.terminate()
        server.wait(10)
