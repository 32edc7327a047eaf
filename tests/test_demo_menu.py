"""The demo hub's menu: the first sale a newcomer simulates looks like the real thing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hub import create_app
from hub.demo import demo_menu, ensure_demo
from hub.keys import issue_key
from hub.migrate import upgrade
from hub.models import AcceptedState, InventoryLevel, MenuItem
from hub.runtime import get_runtime
from hub.scheduler import run_due
from tests.conftest import make_settings


@pytest.fixture
def demo(tmp_path):
    """A fresh embedded database with the demo hub, as `make run` leaves it; its test client and key."""
    settings = make_settings(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(settings.database_url)
    app = create_app(settings)
    printed = ensure_demo(get_runtime())
    yield app.test_client(), printed
    get_runtime().queue.drain()


def sell(client, printed, sku, location="fridge-lobby"):
    """Sell one at the demo sandbox (the admin API, as the console's button does), then poll it in."""
    with get_runtime().db.session() as s:
        admin = issue_key(s, printed["hub_id"], "admin", name="test admin").key
    response = client.post(f"/v1/admin/connections/{printed['sandbox_connection_id']}/simulate",
                           headers={"X-API-Key": admin},
                           json={"action": "sell", "sku": sku, "location_external_id": location})
    assert response.status_code == 200, response.get_data(as_text=True)
    rt = get_runtime()
    run_due(rt, {})
    rt.queue.drain()


def triggers(client, printed, name):
    response = client.get(f"/v1/triggers/{name}",
                          headers={"Authorization": f"Bearer {printed['automation_key']}"})
    assert response.status_code == 200
    return response.json


def test_the_menu_has_a_dozen_meals_with_names_prices_and_categories():
    meals = demo_menu()
    assert len(meals) == 12
    assert len({meal["sku"] for meal in meals}) == 12
    for meal in meals:
        assert meal["name"] and meal["description"] and meal["category"]
        assert Decimal(meal["price"]) > 0
    assert any(meal.get("modifiers") for meal in meals)


def test_the_readme_sku_is_on_the_menu():
    # README's "Trying the triggers with the sandbox" and the console's sell form use it.
    assert "SAL-CAESAR" in {meal["sku"] for meal in demo_menu()}


def test_a_simulated_sale_of_a_demo_meal_has_its_name_and_price(demo):
    client, printed = demo
    sell(client, printed, "SAL-CAESAR")
    [purchase] = triggers(client, printed, "new_purchase")
    [line] = purchase["lines"]
    assert line["name"] == "Caesar salad"
    assert Decimal(line["unit_price"]) == Decimal("8.90")
    assert purchase["currency"] == "EUR"


def test_demo_prices_are_in_the_hubs_currency(demo):
    _, printed = demo
    with get_runtime().db.session() as s:
        currencies = set(s.scalars(select(MenuItem.currency).where(MenuItem.hub_id == printed["hub_id"])))
        modifiers = s.scalar(select(MenuItem.modifiers).where(MenuItem.hub_id == printed["hub_id"],
                                                               MenuItem.sku == "SAL-CAESAR"))
    assert currencies == {"EUR"}
    assert modifiers[0]["options"][0]["price"] == {"amount": "2.50", "currency": "EUR"}


def test_running_the_demo_twice_keeps_one_menu_and_its_stock(demo):
    _, printed = demo
    hub_id = printed["hub_id"]
    sell(demo[0], printed, "SAL-CAESAR")
    with get_runtime().db.session() as s:
        before = s.scalars(select(InventoryLevel.quantity).where(InventoryLevel.hub_id == hub_id)
                           .order_by(InventoryLevel.id)).all()
    again = ensure_demo(get_runtime())
    assert again["hub_id"] == hub_id
    assert again["menu_items_added"] == 0
    with get_runtime().db.session() as s:
        assert s.scalar(select(func.count()).select_from(MenuItem).where(MenuItem.hub_id == hub_id)) == 12
        after = s.scalars(select(InventoryLevel.quantity).where(InventoryLevel.hub_id == hub_id)
                          .order_by(InventoryLevel.id)).all()
    assert after == before


def test_a_meal_the_operator_deleted_is_not_brought_back(demo):
    client, printed = demo
    auth = {"Authorization": f"Bearer {printed['automation_key']}"}
    response = client.post("/v1/actions/update_menu", headers=auth, json={
        "items": [{"sku": "DES-YOGHURT", "available": True}], "remove_skus": ["DES-BROWNIE"]})
    assert response.status_code == 202, response.get_data(as_text=True)
    get_runtime().queue.drain()
    ensure_demo(get_runtime())
    with get_runtime().db.session() as s:
        item = s.scalar(select(MenuItem).where(MenuItem.hub_id == printed["hub_id"],
                                               MenuItem.sku == "DES-BROWNIE"))
    assert item.deleted_at is not None


def test_each_simulated_location_has_stock_and_thresholds(demo):
    _, printed = demo
    with get_runtime().db.session() as s:
        levels = s.execute(select(InventoryLevel.sku, InventoryLevel.quantity,
                                  InventoryLevel.low_stock_threshold)
                           .where(InventoryLevel.hub_id == printed["hub_id"])).all()
    assert len({sku for sku, _, _ in levels}) == 12
    assert len(levels) == sum(len(meal["stock"]) for meal in demo_menu())
    assert all(quantity > threshold for _, quantity, threshold in levels)


def test_the_sandbox_is_recorded_as_selling_the_demo_menu(demo):
    # Nothing to push: the simulated fleet has the menu it sells.
    _, printed = demo
    with get_runtime().db.session() as s:
        accepted = s.scalar(select(func.count()).select_from(AcceptedState).where(
            AcceptedState.connection_id == printed["sandbox_connection_id"]))
    assert accepted == 12


def test_two_sales_of_caesar_salad_at_the_lobby_fridge_fire_a_low_stock_alert(demo):
    client, printed = demo
    sell(client, printed, "SAL-CAESAR")
    assert triggers(client, printed, "low_stock") == []
    sell(client, printed, "SAL-CAESAR")
    [alert] = triggers(client, printed, "low_stock")
    assert (alert["sku"], alert["item_name"], alert["quantity"], alert["threshold"]) == (
        "SAL-CAESAR", "Caesar salad", 5, 5)
    assert alert["location"]["name"] == "Lobby fridge (simulated)"
