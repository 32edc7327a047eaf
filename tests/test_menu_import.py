"""Importing a master POS's menu into the catalog, and pushing it to the other POS."""

import pytest
from sqlalchemy import select

import hub.connectors
from hub.admin import add_connection
from hub.catalog import menu_diff
from hub.connectors.base import Capability, Connector, MenuItemData
from hub.connectors.common.skipped import ImportedMenu, SkippedItem
from hub.models import Connection, MenuItem
from hub.runtime import get_runtime
from tests.conftest import build_tenant


class MasterPOS(Connector):
    """A POS that owns the menu."""

    type = "master_pos"
    title = "Master test POS"
    capabilities = frozenset({Capability.IMPORT_MENU})

    def import_menu(self):
        return [MenuItemData(sku="SAL-CAESAR", name="Caesar salad", price="6.50", currency="EUR",
                             category="Salads"),
                MenuItemData(sku="SOUP-TOMATO", name="Tomato soup", price="4.20", currency="EUR",
                             available=False)]


@pytest.fixture
def master(monkeypatch, app):
    monkeypatch.setattr(hub.connectors, "CONNECTORS", [*hub.connectors.CONNECTORS, MasterPOS])
    rt = get_runtime()
    tenant = build_tenant(rt, connection_type="master_pos", locations=())
    with rt.db.session() as s:
        add_connection(s, rt.vault, tenant.hub_id, "sandbox", "Fridges (simulated)",
                       {"locations": [{"external_id": "f1", "name": "Lobby"}]})
    return tenant


def test_import_puts_the_pos_menu_into_the_catalog(client, master):
    response = client.post(f"/v1/admin/connections/{master.connection_id}/import-menu",
                           headers=master.auth("admin"))
    assert response.status_code == 200
    assert response.json["imported"] == 2
    items = client.get("/v1/menu-items", headers=master.auth()).json
    assert {(i["sku"], i["price"]["amount"], i["available"]) for i in items} == {
        ("SAL-CAESAR", "6.50", True), ("SOUP-TOMATO", "4.20", False)}


def test_import_answer_says_what_the_pos_had_but_was_skipped_and_why(client, master, monkeypatch):
    skipped = [SkippedItem("1004", "menu item definition 1004 has no MiMasterObjNum")]
    monkeypatch.setattr(MasterPOS, "import_menu", lambda self: ImportedMenu([], skipped))

    response = client.post(f"/v1/admin/connections/{master.connection_id}/import-menu",
                           headers=master.auth("admin"))

    assert response.status_code == 200
    assert (response.json["imported"], response.json["skipped"]) == (
        0, [{"external_id": "1004", "reason": "menu item definition 1004 has no MiMasterObjNum"}])


def test_the_master_pos_is_never_pushed_its_own_menu_back(client, master):
    client.post(f"/v1/admin/connections/{master.connection_id}/import-menu", headers=master.auth("admin"))
    rt = get_runtime()
    with rt.db.session() as s:
        diff = menu_diff(s, s.get(Connection, master.connection_id), ["SAL-CAESAR", "SOUP-TOMATO"])
    assert diff.records == []


def test_import_can_push_the_menu_to_the_other_connections(client, master):
    response = client.post(f"/v1/admin/connections/{master.connection_id}/import-menu",
                           json={"push_to_other_connections": True}, headers=master.auth("admin"))
    run_id = response.json["action_run_id"]
    get_runtime().queue.drain()
    run = client.get(f"/v1/actions/{run_id}", headers=master.auth()).json
    assert [(d["connection_name"], d["status"], d["changes"]) for d in run["deliveries"]] == [
        ("Fridges (simulated)", "succeeded", 2)]


def test_a_pos_that_cannot_export_its_menu_is_422(client, tenant):
    response = client.post(f"/v1/admin/connections/{tenant.connection_id}/import-menu",
                           headers=tenant.auth("admin"))
    assert response.status_code == 422
    assert "cannot export" in response.json["detail"]


def test_another_hubs_connection_cannot_be_imported(client, master, other_tenant):
    response = client.post(f"/v1/admin/connections/{master.connection_id}/import-menu",
                           headers=other_tenant.auth("admin"))
    assert response.status_code == 404
    with get_runtime().db.session() as s:
        assert s.scalars(select(MenuItem).where(MenuItem.hub_id == master.hub_id)).all() == []
