"""End to end with the sandbox: onboard by CLI, publish menu and coupon, sell until low, an outage,
and a scheduler restart in the middle; the three triggers tell the whole story, once each."""

import json

from hub import create_app
from hub.cli import main
from hub.presence import sweep_offline
from hub.runtime import get_runtime
from hub.scheduler import run_due

FLEET = json.dumps({"locations": [{"external_id": "fridge-lobby", "name": "Lobby fridge"},
                                  {"external_id": "fridge-gym", "name": "Gym fridge"}]})


def cli(capsys, settings, *argv):
    assert main(["--json", *argv], settings=settings) == 0, capsys.readouterr()
    return json.loads(capsys.readouterr().out)


def scheduler_tick(rt):
    """One pass of the scheduler with every sweep due, then let the jobs finish."""
    run_due(rt, {})
    rt.queue.drain()


def test_sandbox_story_from_onboarding_to_outage(capsys, settings):
    hub = cli(capsys, settings, "create-hub", "Fresh Fridges GmbH")
    con = cli(capsys, settings, "add-connection", "--hub", hub["id"], "--type", "sandbox",
              "--name", "Office fridges", "--config", FLEET)
    for external_id, name in (("fridge-lobby", "Lobby fridge"), ("fridge-gym", "Gym fridge")):
        cli(capsys, settings, "add-location", "--hub", hub["id"], "--connection", con["id"],
            "--external-id", external_id, "--name", name)
    automation_key = cli(capsys, settings, "create-key", "--hub", hub["id"], "--scope", "automation")["key"]
    auth = {"Authorization": f"Bearer {automation_key}"}
    admin = {"X-API-Key": cli(capsys, settings, "create-key", "--hub", hub["id"], "--scope", "admin")["key"]}

    app = create_app(settings)
    client = app.test_client()
    rt = get_runtime()
    menu = client.post("/v1/actions/update_menu", headers=auth, json={"items": [
        {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "6.50", "currency": "EUR"}},
        {"sku": "SOUP-TOMATO", "name": "Tomato soup", "price": {"amount": "4.20", "currency": "EUR"}}]})
    # One delivery per connection is in flight: a coupon arriving during the menu's push would wait
    # for the scheduler's sweep, so the menu is pushed first.
    rt.queue.drain()
    coupon = client.post("/v1/actions/publish_coupon", headers=auth, json={
        "code": "LUNCH10", "name": "10% off lunch", "discount_type": "percent", "percent_off": "10"})
    assert (menu.status_code, coupon.status_code) == (202, 202)
    rt.queue.drain()
    for run in (menu.json, coupon.json):
        assert client.get(f"/v1/actions/{run['id']}", headers=auth).json["status"] == "succeeded"

    simulate = f"/v1/admin/connections/{con['id']}/simulate"
    client.post(simulate, headers=admin, json={"action": "restock", "location_external_id": "fridge-lobby",
                                               "sku": "SAL-CAESAR", "quantity": 8})
    for _ in range(2):
        client.post(simulate, headers=admin, json={"action": "sell", "location_external_id": "fridge-lobby",
                                                   "sku": "SAL-CAESAR", "quantity": 1})
    scheduler_tick(rt)

    # The scheduler restarts (a new process: a new app and runtime on the same database).
    app = create_app(settings)
    client = app.test_client()
    rt = get_runtime()
    for _ in range(2):
        client.post(simulate, headers=admin, json={"action": "sell", "location_external_id": "fridge-lobby",
                                                   "sku": "SAL-CAESAR", "quantity": 1})
    scheduler_tick(rt)
    scheduler_tick(rt)  # polling again finds nothing new

    client.post(simulate, headers=admin, json={"action": "outage"})
    sweep_offline(rt.db)
    sweep_offline(rt.db)
    client.post(simulate, headers=admin, json={"action": "recover"})

    purchases = client.get("/v1/triggers/new_purchase", headers=auth).json
    assert len(purchases) == 4
    assert len({p["external_id"] for p in purchases}) == 4
    assert [p["id"] for p in purchases] == sorted((p["id"] for p in purchases), reverse=True)
    assert purchases[0]["lines"][0] == {"sku": "SAL-CAESAR", "name": "Caesar salad", "quantity": 1,
                                        "unit_price": "6.50", "line_total": "6.50"}
    assert purchases[0]["location"]["name"] == "Lobby fridge"

    low = client.get("/v1/triggers/low_stock", headers=auth).json
    assert [(e["sku"], e["item_name"], e["quantity"], e["location"]["name"]) for e in low] == [
        ("SAL-CAESAR", "Caesar salad", 5, "Lobby fridge")]  # the hub default threshold is 5

    offline = client.get("/v1/triggers/pos_offline", headers=auth).json
    online = client.get("/v1/triggers/pos_online", headers=auth).json
    assert [(e["scope"], e["reason"], e["connection"]["name"]) for e in offline] == [
        ("connection", "no_contact", "Office fridges")]
    assert [(e["scope"], e["connection"]["name"]) for e in online] == [("connection", "Office fridges")]
    assert online[0]["id"] > offline[0]["id"]
